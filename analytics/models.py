"""analytics has no models: it reads the other apps' tables and keeps its figures in the cache."""
