"""The risk picture as charts and documents: one chart definition for screen and print."""
