"""The ethics pledge: members sign the pledge of an exact, registered version of the Code."""
