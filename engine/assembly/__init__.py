"""From a compiled screen and a signed-in user to a page model: data plan, ownership, views."""
