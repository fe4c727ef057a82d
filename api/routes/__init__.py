"""HTTP routes: parse, authorise, call one procedure, shape the response."""
