"""The network picture: people and groups, their links, rivalries and reach."""
