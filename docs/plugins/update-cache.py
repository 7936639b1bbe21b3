#!/usr/bin/python3
"""Writes gst_plugins_cache.json for our plugin: GStreamer's documentation
cache format (the file hotdoc's gst extension reads, one per GStreamer
module, docs/plugins/gst_plugins_cache.json), with every element's
factory details, hierarchy, interfaces, pad templates, properties (own, not
GstBin's) and signals, and the enums, flags, interfaces and pad types they
use. Run from the build tree's plugin, never an installed one:

  ninja -C build update-plugins-cache            # rewrites the file
  docs/plugins/update-cache.py BUILD/plugins --check FILE   # CI (tests/docs)

Usage: update-cache.py PLUGIN_DIR [--output FILE | --check FILE]"""
import difflib
import json
import os
import sys

PLUGIN = "webrtcsession"
# Properties and signals of these classes belong to GStreamer, not to us.
GST_BASES = {"GObject", "GInitiallyUnowned", "GstObject", "GstElement",
             "GstBin", "GstPipeline"}


def load(plugin_dir):
    os.environ["GST_PLUGIN_PATH"] = plugin_dir
    os.environ.pop("GST_PLUGIN_PATH_1_0", None)
    import gi
    gi.require_version("Gst", "1.0")
    from gi.repository import GObject, Gst
    Gst.init(None)
    plugin = Gst.Registry.get().find_plugin(PLUGIN)
    if not plugin:
        sys.exit(f"plugin {PLUGIN} not found in {plugin_dir}")
    if not os.path.realpath(plugin.get_filename()).startswith(
            os.path.realpath(plugin_dir)):
        sys.exit(f"{PLUGIN} loaded from {plugin.get_filename()}, not from "
                 f"{plugin_dir}")
    return GObject, Gst, plugin


def split_top(text, sep=","):
    """Splits at `sep` outside brackets and quotes."""
    parts, depth, quote, cur = [], 0, False, ""
    for ch in text:
        if ch == '"':
            quote = not quote
        elif not quote and ch in "{[<(":
            depth += 1
        elif not quote and ch in "}]>)":
            depth -= 1
        if ch == sep and depth == 0 and not quote:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur.strip())
    return parts


def field_text(value):
    """One caps field as gst-inspect and GStreamer's caches show it:
    scalars bare (strings unquoted), lists with each item's type, ranges
    as they are."""
    vtype = ""
    if value.startswith("("):
        vtype, value = value[1:].split(")", 1)
    if value.startswith("{") or value.startswith("<"):
        items = split_top(value[1:-1].strip())
        open_, close = value[0], value[-1]
        return (open_ + " " + ", ".join(f"({vtype}){i}" for i in items)
                + " " + close)
    if value.startswith('"') and value.endswith('"'):
        value = value[1:-1]
    return value


def caps_text(caps):
    """Caps in the layout of GStreamer's own gst_plugins_cache.json: per
    structure `name:` then one right-aligned `field: value` per line."""
    if caps.is_any():
        return "ANY"
    if caps.is_empty():
        return "EMPTY"
    out = ""
    for i in range(caps.get_size()):
        features = caps.get_features(i)
        head = split_top(caps.get_structure(i).to_string().rstrip(";"))
        name = head[0]
        if features and not features.is_any() and \
                features.to_string() != "memory:SystemMemory":
            name += f"({features.to_string()})"
        out += name + ":\n"
        for field in head[1:]:
            key, value = field.split("=", 1)
            out += f"{key:>15}: {field_text(value)}\n"
    return out


class Scanner:
    def __init__(self, GObject, Gst):
        self.GObject = GObject
        self.Gst = Gst
        self.other_types = {}

    def type_name(self, gtype):
        return gtype.name

    def hierarchy(self, gtype):
        out = []
        while gtype and gtype.name != "invalid":
            out.append(gtype.name)
            gtype = gtype.parent
        return out

    def note_type(self, gtype, sample=None):
        """Records an enum, flags, interface or pad type of ours in
        other-types; `sample` is a value of an enum or flags type."""
        GObject = self.GObject
        name = gtype.name
        if name in self.other_types or not name.startswith("Gws"):
            return
        if gtype.is_a(GObject.TYPE_ENUM) or gtype.is_a(GObject.TYPE_FLAGS):
            flags = gtype.is_a(GObject.TYPE_FLAGS)
            cls = type(sample)
            values = cls.__flags_values__ if flags else cls.__enum_values__
            self.other_types[name] = {
                "kind": "flags" if flags else "enum",
                "values": [{"desc": values[n].value_name,
                            "name": values[n].value_nick,
                            "value": str(int(n))} for n in sorted(values)]}
        elif gtype.is_interface():
            self.other_types[name] = {"kind": "interface"}
            sigs = self.signals(gtype)
            if sigs:
                self.other_types[name]["signals"] = sigs
        elif gtype.is_a(self.Gst.Pad):
            self.other_types[name] = {"hierarchy": self.hierarchy(gtype),
                                      "kind": "object"}

    def default(self, pspec, gtype):
        GObject, Gst = self.GObject, self.Gst
        d = getattr(pspec, "default_value", None)
        if gtype.is_a(GObject.TYPE_BOOLEAN):
            return "true" if d else "false"
        if gtype.is_a(GObject.TYPE_ENUM):
            return f"{d.value_nick} ({int(d)})"
        if gtype.is_a(GObject.TYPE_FLAGS):
            names = [v.value_nick for n, v in sorted(
                type(d).__flags_values__.items()) if n and int(d) & n == n]
            return f"{'+'.join(names) or '(none)'} (0x{int(d):08x})"
        if gtype.is_a(GObject.TYPE_STRING):
            return "NULL" if d is None else d
        if gtype.is_a(GObject.TYPE_DOUBLE) or gtype.is_a(GObject.TYPE_FLOAT):
            return repr(float(d)).rstrip("0").rstrip(".") \
                if float(d) != int(float(d)) else str(int(float(d)))
        if isinstance(d, (int,)):
            return str(d)
        if gtype.is_a(Gst.Caps.__gtype__):
            return "ANY" if d is None else d.to_string()
        return None

    def properties(self, gtype, klass_props):
        GObject, Gst = self.GObject, self.Gst
        out = {}
        for p in klass_props:
            if p.owner_type.name in GST_BASES:
                continue
            vtype = p.value_type
            flags = int(p.flags)
            entry = {
                "blurb": p.blurb,
                "conditionally-available": bool(
                    flags & int(Gst.PARAM_CONDITIONALLY_AVAILABLE)),
                "construct": bool(flags & int(GObject.ParamFlags.CONSTRUCT)),
                "construct-only": bool(
                    flags & int(GObject.ParamFlags.CONSTRUCT_ONLY)),
                "controllable": bool(flags & int(Gst.PARAM_CONTROLLABLE)),
                "mutable": "playing" if flags & int(Gst.PARAM_MUTABLE_PLAYING)
                else "paused" if flags & int(Gst.PARAM_MUTABLE_PAUSED)
                else "ready" if flags & int(Gst.PARAM_MUTABLE_READY)
                else "null",
                "readable": bool(flags & int(GObject.ParamFlags.READABLE)),
                "type": vtype.name,
                "writable": bool(flags & int(GObject.ParamFlags.WRITABLE)),
            }
            d = self.default(p, vtype)
            if d is not None:
                entry["default"] = d
            if hasattr(p, "minimum") and hasattr(p, "maximum") and \
                    not vtype.is_a(GObject.TYPE_ENUM):
                entry["min"] = self.number(p.minimum)
                entry["max"] = self.number(p.maximum)
            self.note_type(vtype, getattr(p, "default_value", None))
            out[p.name] = entry
        return out

    @staticmethod
    def number(v):
        if isinstance(v, float):
            return str(int(v)) if v == int(v) and abs(v) < 1e15 else repr(v)
        return str(v)

    def signals(self, gtype):
        GObject = self.GObject
        out = {}
        for sid in GObject.signal_list_ids(gtype):
            q = GObject.signal_query(sid)
            f = int(q.signal_flags)
            entry = {
                "args": [{"name": f"arg{i}", "type": t.name}
                         for i, t in enumerate(q.param_types)],
                "return-type": "void" if q.return_type.name == "void"
                else q.return_type.name,
                "when": "first" if f & int(GObject.SignalFlags.RUN_FIRST)
                else "last" if f & int(GObject.SignalFlags.RUN_LAST)
                else "cleanup",
            }
            if f & int(GObject.SignalFlags.ACTION):
                entry["action"] = True
            out[q.signal_name] = entry
            for t in q.param_types:
                self.note_type(t)
        return out

    def element(self, factory):
        Gst = self.Gst
        factory = factory.load()
        gtype = factory.get_element_type()
        elem = factory.create(None)
        if elem is None:
            sys.exit(f"cannot create {factory.get_name()}")
        pads = {}
        for t in factory.get_static_pad_templates():
            tmpl = t.get()
            ptype = tmpl.get_property("gtype")
            entry = {
                "caps": caps_text(tmpl.get_caps()),
                "direction": tmpl.direction.value_nick,
                "presence": tmpl.presence.value_nick,
            }
            if ptype.name not in ("GstPad", "void", "invalid"):
                entry["type"] = ptype.name
                self.note_type(ptype)
            pads[tmpl.name_template.replace("%", "%%")] = entry
        meta = {k: factory.get_metadata(k) for k in factory.get_metadata_keys()}
        out = {
            "author": meta.get("author", ""),
            "description": meta.get("description", ""),
            "hierarchy": self.hierarchy(gtype),
            "interfaces": sorted(i.name for i in gtype.interfaces),
            "klass": meta.get("klass", ""),
            "long-name": meta.get("long-name", ""),
            "pad-templates": pads,
            "properties": self.properties(
                gtype, elem.list_properties()),
            "rank": self.rank(factory.get_rank()),
            "signals": self.signals(gtype),
        }
        for i in gtype.interfaces:
            self.note_type(i)
        if hasattr(elem, "set_state"):
            elem.set_state(Gst.State.NULL)
        return out

    def rank(self, r):
        Gst = self.Gst
        names = {int(Gst.Rank.NONE): "none", int(Gst.Rank.MARGINAL):
                 "marginal", int(Gst.Rank.SECONDARY): "secondary",
                 int(Gst.Rank.PRIMARY): "primary"}
        return names.get(int(r), str(int(r)))


def generate(plugin_dir):
    GObject, Gst, plugin = load(plugin_dir)
    scanner = Scanner(GObject, Gst)
    features = Gst.Registry.get().get_feature_list_by_plugin(PLUGIN)
    elements = {}
    for f in sorted(features, key=lambda f: f.get_name()):
        if isinstance(f, Gst.ElementFactory):
            elements[f.get_name()] = scanner.element(f)
    cache = {PLUGIN: {
        "description": plugin.get_description(),
        "elements": elements,
        "filename": "gst" + PLUGIN,
        "license": plugin.get_license(),
        "other-types": dict(sorted(scanner.other_types.items())),
        "package": plugin.get_package(),
        "source": plugin.get_source(),
        "tracers": {},
        "url": plugin.get_origin(),
    }}
    return json.dumps(cache, indent=4, sort_keys=True) + "\n"


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    text = generate(os.path.abspath(args[0]))
    if len(args) == 3 and args[1] == "--output":
        with open(args[2], "w") as f:
            f.write(text)
        print(f"wrote {args[2]}")
    elif len(args) == 3 and args[1] == "--check":
        with open(args[2]) as f:
            old = f.read()
        if old != text:
            sys.stdout.writelines(difflib.unified_diff(
                old.splitlines(True), text.splitlines(True),
                args[2], "generated from the build"))
            print(f"\n{args[2]} does not match the plugin: refresh it with "
                  "`ninja -C build update-plugins-cache` and commit it.")
            sys.exit(1)
        print("gst_plugins_cache.json matches the plugin")
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
