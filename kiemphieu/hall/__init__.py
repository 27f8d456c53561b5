"""The congress hall: a full-screen presentation for the projector and the presentation files."""
