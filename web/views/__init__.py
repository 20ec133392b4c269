"""The pages, one blueprint per audience; each view parses the request, calls one function, renders."""
