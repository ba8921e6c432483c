"""Every action the pipeline can run, by name: filled by ``backoffice.actions`` when the app is
ready (each action module registers its ``Action``), read by enqueue and by the runner.

The pipeline never imports the action modules: they import it, so the package graph stays a
DAG (``backoffice.actions`` → ``backoffice.operations``).
"""

from __future__ import annotations

from typing import TypeVar

from backoffice.operations.action import Action, Handler

A = TypeVar("A", bound=Action)

ACTIONS: dict[str, Action] = {}


def register(action: A) -> A:
    """Add ``action`` (an instance) under its name; a second action of the same name is a bug."""
    if action.name in ACTIONS and type(ACTIONS[action.name]) is not type(action):
        raise ValueError(f"two actions are named {action.name!r}")
    ACTIONS[action.name] = action
    return action


def action_for(name: str) -> Action | None:
    return ACTIONS.get(name)


def handler_for(name: str, vendor: str) -> Handler | None:
    action = ACTIONS.get(name)
    return None if action is None else action.handler(vendor)
