"""The web front end: server-rendered pages for students and coordinators over the three services' APIs."""
