"""The dashboard's figures, gathered from the domain modules for the pages and the JSON API alike."""
