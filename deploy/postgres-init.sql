-- One database per service (DESIGN section 2): each service owns its own.
CREATE DATABASE catalogue;
CREATE DATABASE enrolment;
CREATE DATABASE notifications;
