"""Agent types: state arrays with vectorised rules, and the Mesa agents users see."""
