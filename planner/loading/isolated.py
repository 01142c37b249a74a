"""``read_document`` in a child process with a memory ceiling and a time limit (the service's uploads).

A hostile or broken file can at worst exhaust the child: RLIMIT_AS turns runaway allocation into a
MemoryError there, a timer kills it, and the caller gets a ScenarioError (a 422) either way. The
child is forked from a forkserver that has the reader and pandas imported already, so a parse
starts in milliseconds and never inherits the service's threads or database connections. This is
a blocking call: the service runs it in a worker thread, off the event loop.
"""
from __future__ import annotations

import multiprocessing
import os
import resource
import threading

from planner import limits
from planner.errors import Problem, ScenarioError

MAX_PARALLEL = 2  # parses at once; more uploads wait their turn (each may use PARSE_MEMORY_BYTES)
_slots = threading.BoundedSemaphore(MAX_PARALLEL)
_context = multiprocessing.get_context("forkserver")
_context.set_forkserver_preload(["planner.loading.reader", "planner.loading.tabular"])


def _address_space() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _child(conn, content: bytes, filename: str, memory: int) -> None:
    try:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        ceiling = _address_space() + memory
        if hard != resource.RLIM_INFINITY:
            ceiling = min(ceiling, hard)
        resource.setrlimit(resource.RLIMIT_AS, (ceiling, hard))
    except (OSError, ValueError):
        pass  # no /proc or no rlimit: the time limit still holds
    from planner.loading.reader import read_document

    try:
        conn.send(("ok", read_document(content, filename)))
    except ScenarioError as exc:
        conn.send(("problems", exc.problems))
    except MemoryError:
        conn.send(("memory", None))
    except Exception as exc:  # a reader bug: reported as unreadable, never a 500
        conn.send(("error", f"{type(exc).__name__}: {exc}"[:300]))
    finally:
        conn.close()


def _refuse(filename: str, expected: str) -> ScenarioError:
    return ScenarioError([Problem("scenario", None, "file", filename, expected)])


def read_isolated(content: bytes, filename: str, memory: int = limits.PARSE_MEMORY_BYTES,
                  seconds: float = limits.PARSE_SECONDS) -> dict:
    """The scenario document of an upload, read in a child process; ScenarioError if refused."""
    too_much = (f"a file that can be read with at most {memory // 2**20} MB of memory; "
                "split it or remove empty rows and columns")
    with _slots:
        receiver, sender = _context.Pipe(duplex=False)
        process = _context.Process(target=_child, args=(sender, content, filename, memory), daemon=True)
        process.start()
        sender.close()
        try:
            if not receiver.poll(seconds):
                raise _refuse(filename, f"a file that can be read within {seconds:g} seconds")
            status, payload = receiver.recv()
        except (EOFError, OSError):  # the child died: the kernel killed it, most likely for memory
            raise _refuse(filename, too_much) from None
        finally:
            receiver.close()
            if process.is_alive():
                process.kill()
            process.join()
    if status == "ok":
        return payload
    if status == "problems":
        raise ScenarioError(payload)
    if status == "memory":
        raise _refuse(filename, too_much)
    raise _refuse(filename, f"a readable JSON file or Excel workbook ({payload})")
