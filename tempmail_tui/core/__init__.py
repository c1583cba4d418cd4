"""Domain logic with no UI: text cleaning, rendering, storage, scheduling and files."""
