"""g's Python helper: inspects a script's flags and runs globals-style scripts.

    python3 g_bootstrap.py --inspect SCRIPT
        prints JSON: {"style": "globals"|"args", "flags": {name: {"default": v, "type": t, "arg": a}},
                      "sdk_flags": "named"|"open" (only when the script reads g_runs.flags())}
        where "arg", for an argparse option only, is how it is written on a command
        line: "switch" (no value: store_true, store_false, ...), "toggle"
        (argparse.BooleanOptionalAction: --name / --no-name), "count"
        (action="count": --name given N times) or "value" (--name VALUE).
    python3 g_bootstrap.py SCRIPT [ARG ...]
        runs SCRIPT as __main__ with the module-level globals named in the
        G_FLAGS environment variable (JSON) replaced, without editing the file.

Standard library only; shipped inside the g package.
"""

import ast
import json
import os
import sys
import types

ARG_PARSER_MODULES = {"argparse", "click", "typer", "fire", "absl", "optparse", "getopt"}


def literal(node):
    """The Python value of a constant expression, or raise ValueError."""
    value = ast.literal_eval(node)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise ValueError("not a scalar")


def type_name(value):
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    return "none"


def uses_arg_parser(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            if any(a.name.split(".")[0] in ARG_PARSER_MODULES for a in node.names):
                return True
        elif isinstance(node, ast.ImportFrom):
            if node.module and node.module.split(".")[0] in ARG_PARSER_MODULES:
                return True
        elif isinstance(node, ast.Attribute) and node.attr == "argv":
            if isinstance(node.value, ast.Name) and node.value.id == "sys":
                return True
    return False


def global_flags(tree):
    flags = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if not isinstance(target, ast.Name) or target.id.startswith("_"):
            continue
        try:
            v = literal(value)
        except (ValueError, TypeError, SyntaxError, RecursionError):
            continue
        flags[target.id] = {"default": v, "type": type_name(v)}
    return flags


def argparse_flags(tree):
    flags = {}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "add_argument"):
            continue
        names = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        longs = [n for n in names if n.startswith("--")]
        if not longs:
            continue
        name = longs[0][2:]
        entry = {"default": None, "type": "none", "arg": "value"}
        action = None
        for kw in node.keywords:
            if kw.arg == "default":
                try:
                    entry["default"] = literal(kw.value)
                    entry["type"] = type_name(entry["default"])
                except (ValueError, TypeError, SyntaxError, RecursionError):
                    pass
            elif kw.arg == "action":
                action = action_name(kw.value)
        if action in SWITCH_ACTIONS:
            # A switch's flag says whether the switch is given: false (left off) unless set,
            # whatever the option stores (`--no-aug` with store_false stores False in aug).
            entry.update({"default": False, "type": "bool", "arg": "switch"})
        elif action == "BooleanOptionalAction":
            entry["arg"] = "toggle"
        elif action == "count":
            # The flag is how many times the option is given; argparse's default is None unless one is set.
            entry.update({"type": "int", "arg": "count"})
        flags[name] = entry
    return flags


# argparse actions whose option is written alone, without a value.
SWITCH_ACTIONS = {"store_true", "store_false", "store_const", "append_const"}


def action_name(node):
    """`action=` as written: "store_true", or "BooleanOptionalAction" for argparse.BooleanOptionalAction."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return None


def sdk_flag_reads(tree):
    """How the script reads its flags through the SDK's `g_runs.flags()`.

    Returns (None, {}) when it does not call it. Otherwise ("named", flags)
    when every use of the returned dict is `.get("name", default)` or
    `["name"]` (directly or through a variable assigned from the call), so
    the names are known and a misspelt flag can be refused; ("open", flags)
    when the dict goes anywhere else (`**flags`, a loop, a function), where
    any name may be read.
    """
    modules, functions = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(a.asname or a.name for a in node.names if a.name == "g_runs")
        elif isinstance(node, ast.ImportFrom) and node.module == "g_runs":
            functions.update(a.asname or a.name for a in node.names if a.name == "flags")

    def is_flags_call(node):
        if not isinstance(node, ast.Call) or node.args or node.keywords:
            return False
        f = node.func
        if isinstance(f, ast.Attribute):
            return f.attr == "flags" and isinstance(f.value, ast.Name) and f.value.id in modules
        return isinstance(f, ast.Name) and f.id in functions

    parents = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[child] = node
    calls = [n for n in ast.walk(tree) if is_flags_call(n)]
    if not calls:
        return None, {}
    # Variables holding the dict: `cfg = g.flags()`.
    holders = set()
    for call in calls:
        parent = parents.get(call)
        if isinstance(parent, ast.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0], ast.Name):
            holders.add(parent.targets[0].id)
    uses = calls + [n for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id in holders and isinstance(n.ctx, ast.Load)]
    flags, mode = {}, "named"
    for use in uses:
        parent = parents.get(use)
        if use in calls and isinstance(parent, ast.Assign) and parent.value is use:
            continue  # held in a variable; its own uses are checked
        key, default, required = None, None, False
        if isinstance(parent, ast.Attribute) and parent.attr == "get":
            call = parents.get(parent)
            if isinstance(call, ast.Call) and call.func is parent and call.args and isinstance(call.args[0], ast.Constant):
                key = call.args[0].value
                if len(call.args) > 1:
                    try:
                        default = literal(call.args[1])
                    except (ValueError, TypeError, SyntaxError, RecursionError):
                        default = None
        elif isinstance(parent, ast.Subscript) and parent.value is use and isinstance(parent.slice, ast.Constant):
            key, required = parent.slice.value, True
        if isinstance(key, str):
            if key not in flags or flags[key].get("required") or flags[key]["default"] is None:
                flags[key] = {"default": default, "type": type_name(default)}
                if required:
                    # read without a default: given or absent, never recorded as null
                    flags[key]["required"] = True
        else:
            mode = "open"
    return mode, flags


def inspect(path):
    with open(path, "rb") as f:
        tree = ast.parse(f.read(), filename=path)
    if uses_arg_parser(tree):
        info = {"style": "args", "flags": argparse_flags(tree)}
    else:
        info = {"style": "globals", "flags": global_flags(tree)}
    mode, read = sdk_flag_reads(tree)
    if mode:
        info["sdk_flags"] = mode
        for name, flag in read.items():
            info["flags"].setdefault(name, flag)
    return info


class ReplaceGlobals(ast.NodeTransformer):
    """Rewrites top-level `name = ...` for flagged names; nested scopes untouched."""

    def __init__(self, flags):
        self.flags = flags
        self.seen = set()

    def rewrite(self, tree):
        for node in tree.body:
            target = None
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                target = node.target
            if isinstance(target, ast.Name) and target.id in self.flags:
                value = keep_float(self.flags[target.id], node.value)
                node.value = ast.copy_location(ast.Constant(value), node.value)
                self.seen.add(target.id)
        return tree


def keep_float(value, default_node):
    """A whole number for a global whose default is a float, as that float.

    G_FLAGS is JSON, where 1.0 is 1: without this, `x = 1.0` would become the
    int 1 even when the run gives x no value at all (its default goes through
    G_FLAGS too), and `x=2` the int 2, changing what the script computes
    (integer division, a tensor's dtype, a format's `%d`).
    """
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            default = literal(default_node)
        except (ValueError, TypeError, SyntaxError, RecursionError):
            return value
        if isinstance(default, float):
            return float(value)
    return value


def run_globals(path, args):
    flags = json.loads(os.environ.get("G_FLAGS") or "{}")
    with open(path, "rb") as f:
        source = f.read()
    tree = ast.parse(source, filename=path)
    rewriter = ReplaceGlobals(flags)
    tree = ast.fix_missing_locations(rewriter.rewrite(tree))
    code = compile(tree, path, "exec")
    sys.argv = [path] + list(args)
    sys.path[0] = os.path.dirname(os.path.abspath(path))
    # A real __main__ module, so pickling and multiprocessing see the script's names.
    module = types.ModuleType("__main__")
    module.__file__ = path
    module.__builtins__ = __builtins__
    sys.modules["__main__"] = module
    module_globals = module.__dict__
    # Flags the script does not assign (forced with --force-flags) still become globals.
    for name, value in flags.items():
        if name not in rewriter.seen:
            module_globals[name] = value
    sys.excepthook = excepthook_without_bootstrap
    exec(code, module_globals)


def excepthook_without_bootstrap(kind, value, tb):
    """Prints an uncaught exception as Python would, from the script's own frames.

    The frames of this file that run the script come first in the traceback;
    they are g's, not the user's, and are left out. Python still exits as it
    does for an uncaught exception (status 1; for KeyboardInterrupt, SIGINT).
    """
    here = os.path.abspath(__file__)
    while tb is not None and os.path.abspath(tb.tb_frame.f_code.co_filename) == here:
        tb = tb.tb_next
    if isinstance(value, BaseException):
        # Python prints the exception's own __traceback__ when it has one.
        value.__traceback__ = tb
    sys.__excepthook__(kind, value, tb)


def main(argv):
    if len(argv) >= 2 and argv[0] == "--inspect":
        try:
            print(json.dumps(inspect(argv[1])))
        except SyntaxError as e:
            print(json.dumps({"error": "syntax error at line %s: %s" % (e.lineno, e.msg)}))
        return 0
    if not argv:
        sys.stderr.write("usage: g_bootstrap.py SCRIPT [ARG ...] | --inspect SCRIPT\n")
        return 2
    run_globals(argv[0], argv[1:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
