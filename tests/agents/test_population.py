import mesa
import numpy as np
import pytest

from agents.population import Population, RowAgent, create_row_agents


class Things(Population):
    schema = {"size": np.float64, "kind": np.int16}


class Thing(RowAgent):
    population_attr = "things"
    state = Things


def make_model(capacity=0):
    model = mesa.Model(rng=1)
    model.things = Things(capacity)
    return model


def test_schema_gets_alive_column_first():
    assert list(Things.schema) == ["alive", "size", "kind"]


def test_append_grows_capacity_and_keeps_earlier_values():
    pop = Things(capacity=2)
    first = pop.append(2, size=np.array([1.5, 2.5]), kind=7)
    assert pop.capacity == 2
    second = pop.append(3, size=9.0)
    assert pop.capacity >= 5
    np.testing.assert_array_equal(first, [0, 1])
    np.testing.assert_array_equal(second, [2, 3, 4])
    np.testing.assert_array_equal(pop.size, [1.5, 2.5, 9.0, 9.0, 9.0])
    np.testing.assert_array_equal(pop.kind, [7, 7, 0, 0, 0])  # unnamed columns start at zero
    assert pop.size.dtype == np.float64 and pop.kind.dtype == np.int16
    assert pop.alive.all() and len(pop.agents) == 5


def test_rows_are_stable_after_deaths_and_growth():
    pop = Things()
    pop.append(3, size=np.array([10.0, 20.0, 30.0]))
    pop.alive[1] = False
    rows = pop.append(100, size=5.0)
    assert rows[0] == 3  # rows are never reused
    assert pop.size[2] == 30.0 and not pop.alive[1]


def test_live_and_count():
    pop = Things()
    pop.append(5, kind=np.array([1, 2, 1, 2, 1]))
    pop.alive[[0, 3]] = False
    np.testing.assert_array_equal(pop.live(), [1, 2, 4])
    assert pop.count() == 3
    assert pop.count(pop.kind == 1) == 2


def test_clone_is_deep():
    pop = Things()
    pop.append(3, size=1.0)
    other = pop.clone()
    other.size[0] = 99.0
    other.alive[1] = False
    other.append(2, size=4.0)
    assert pop.size[0] == 1.0 and pop.alive[1]
    assert pop.n == 3 and other.n == 5
    assert other.agents == [None] * 5


def test_unknown_column_raises_key_error():
    pop = Things()
    with pytest.raises(KeyError, match="colour"):
        pop.append(1, colour=3)
    assert pop.n == 0


def test_row_agent_properties_read_and_write_the_row():
    model = make_model()
    rows = model.things.append(3, size=np.array([1.0, 2.0, 3.0]), kind=4)
    agents = create_row_agents(Thing, model, rows)
    assert len(agents) == 3 and len(model.agents) == 3
    b = model.things.agents[1]
    assert isinstance(b, Thing) and b.index == 1
    assert b.size == 2.0 and isinstance(b.size, float)
    assert b.kind == 4 and isinstance(b.kind, int)
    b.size = 42.0
    b.kind = -1
    np.testing.assert_array_equal(model.things.size, [1.0, 42.0, 3.0])
    np.testing.assert_array_equal(model.things.kind, [4, -1, 4])
    model.things.size[2] = 7.0
    assert model.things.agents[2].size == 7.0


def test_remove_row_agents_marks_dead_and_deregisters():
    model = make_model()
    rows = model.things.append(4)
    create_row_agents(Thing, model, rows)
    gone = [model.things.agents[i] for i in (0, 2)]
    model.things.remove(np.array([0, 2]))
    np.testing.assert_array_equal(model.things.alive, [False, True, False, True])
    assert model.things.agents[0] is None and model.things.agents[2] is None
    assert len(model.agents) == 2
    assert all(a not in model.agents for a in gone)
    assert model.things.count() == 2


def test_single_agent_remove():
    model = make_model()
    create_row_agents(Thing, model, model.things.append(2))
    model.things.agents[1].remove()
    assert not model.things.alive[1] and model.things.alive[0]
    assert len(model.agents) == 1
