"""Infrastructure every app may use and that imports no app of the helpdesk."""
