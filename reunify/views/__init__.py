"""The crisis team's staff pages (Django templates and htmx): open a case, the crisis dashboard,
a counselor's task list and a student's card. Each view parses input, loads objects through
reunify.selectors (404 for what the actor may not see), calls one service and renders; domain
errors are shown in the staff member's language (views.errors)."""
