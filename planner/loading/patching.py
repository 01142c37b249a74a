"""Applying a JSON Patch (RFC 6902) to a scenario document without copying all of it.

``jsonpatch.apply_patch`` deep-copies the whole document before it applies a patch. A patch
that touches one or two records needs far less: ``apply_patch_shared`` copies only the
containers on the way to what the operations touch and shares everything else with the
document, which itself never changes. The result can be read like any document; it must not be
changed in place, as most of it is the original's.
"""
from __future__ import annotations

import copy
from typing import Any

import jsonpatch
import jsonpointer


def apply_patch_shared(doc: Any, ops: list[dict]) -> Any:
    """``doc`` with ``ops`` applied, copy-on-write: every container that an operation's ``path``
    (and ``from`` for move and copy) passes through, the target's parent included, is a shallow
    copy; every other subtree is ``doc``'s own, by identity. Raises what ``jsonpatch`` raises
    (JsonPatchException, JsonPointerException), and ``doc`` stays as it is."""
    patch = jsonpatch.JsonPatch(ops)  # every operation checked before any is applied, as apply_patch does
    out = copy.copy(doc)
    owned = {id(out): out}  # the result's own containers (kept alive, so that ids stay unique)
    for op in patch:
        for key in ("from", "path") if op["op"] in ("move", "copy") else ("path",):
            _own(out, op.get(key), owned)
        # Only owned containers change; added, replaced and copied values are copies (jsonpatch's).
        out = jsonpatch.JsonPatch([op]).apply(out, in_place=True)
    return out


def _own(root: Any, pointer: Any, owned: dict[int, Any]) -> None:
    """Replace each container on the way to ``pointer``'s target (not the target) by a shallow
    copy, unless it is one already. Stops where the pointer does not resolve: applying the
    operation then raises jsonpatch's error."""
    try:
        parts = jsonpointer.JsonPointer(pointer).parts[:-1]
    except (jsonpointer.JsonPointerException, TypeError, AttributeError):
        return
    node = root
    for part in parts:
        try:
            key = jsonpointer.JsonPointer.get_part(node, part)
            child = node[key]
        except (jsonpointer.JsonPointerException, LookupError, TypeError):
            return
        if not isinstance(child, (dict, list)):
            return
        if id(child) not in owned:
            child = node[key] = copy.copy(child)
            owned[id(child)] = child
        node = child
