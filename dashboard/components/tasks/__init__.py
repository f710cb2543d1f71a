"""The Tasks page's parts and the task buttons other pages show (at-risk list, account 360,
weekly review): tasks, risk plays, follow-ups, notes and the timeline (metrics/actions/)."""
