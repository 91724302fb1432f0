"""The shape of the library: sub-packages whose imports go one way, modules and functions of a
readable size, and lib free of the commands and of config.py."""
import ast
import glob
import importlib
import os
import re

import pytest

from tests.conftest import ROOT

# Each sub-package may import its own modules and those of the sub-packages before it.
ORDER = ('core', 'data', 'codec', 'model', 'eval', 'train', 'infer', 'cli')
# Pairs the order would allow that are still forbidden: inference reads a run folder through
# lib.model.run_files and never depends on training.
FORBIDDEN = {('infer', 'train')}
# Inside lib.data: one sub-package a source, the shared modules beside them. The shared
# modules import no source; a source imports the shared modules and none of the others
# (synthetic writes every format, so it may import h36m and mocap).
DATA_SOURCES = ('h36m', 'mocap', 'synthetic')
DATA_MAY_IMPORT = {'h36m': set(), 'mocap': set(), 'synthetic': {'h36m', 'mocap'}}
COMMANDS = ('train', 'test', 'infer', 'export', 'config', 'tools')
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 50


def lib_modules():
    return sorted(glob.glob(os.path.join(ROOT, 'lib', '**', '*.py'), recursive=True))


def package_of(path):
    """'lib/data/world.py' -> 'data'; 'lib/codec.py' -> 'codec'; 'lib/__init__.py' -> None."""
    parts = os.path.relpath(path, os.path.join(ROOT, 'lib')).split(os.sep)
    return None if parts == ['__init__.py'] else parts[0].replace('.py', '')


def imported_modules(path):
    """Every module an import statement of the file names (top-level or inside functions)."""
    tree = ast.parse(open(path).read(), path)
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
            if node.module == 'lib':
                names += ['lib.' + a.name for a in node.names]
    return names


def test_imports_go_one_way():
    wrong = []
    for path in lib_modules():
        here = package_of(path)
        if here is None:
            continue
        for name in imported_modules(path):
            parts = name.split('.')
            if parts[0] != 'lib' or len(parts) < 2:
                continue
            if ORDER.index(parts[1]) > ORDER.index(here) or (here, parts[1]) in FORBIDDEN:
                wrong.append('%s imports %s' % (os.path.relpath(path, ROOT), name))
    assert not wrong, '\n'.join(wrong)


def data_part_of(path):
    """'lib/data/h36m/cdf.py' -> 'h36m'; 'lib/data/arrays.py' -> 'shared'; 'lib/data/dataset.py'
    -> 'dataset' (it picks among the sources)."""
    parts = os.path.relpath(path, os.path.join(ROOT, 'lib', 'data')).split(os.sep)
    if len(parts) > 1:
        return parts[0]
    return 'dataset' if parts[0] in ('dataset.py', '__init__.py') else 'shared'


def test_data_sources_stand_apart():
    wrong = []
    for path in glob.glob(os.path.join(ROOT, 'lib', 'data', '**', '*.py'), recursive=True):
        here = data_part_of(path)
        for name in imported_modules(path):
            parts = name.split('.')
            if parts[:2] != ['lib', 'data'] or len(parts) < 3 or parts[2] not in DATA_SOURCES:
                continue
            there = parts[2]
            allowed = (here == 'dataset' or here == there
                       or there in DATA_MAY_IMPORT.get(here, set()))
            if not allowed:
                wrong.append('%s imports %s' % (os.path.relpath(path, ROOT), name))
    assert not wrong, '\n'.join(wrong)


def test_the_layering_test_sees_a_wrong_import(tmp_path):
    """The check above would fail on an import that climbs back (a data module using infer)."""
    bad = tmp_path / 'bad.py'
    bad.write_text('from lib.infer.lifter import Lifter\n')
    assert imported_modules(str(bad)) == ['lib.infer.lifter']
    assert ORDER.index('infer') > ORDER.index('data')


def test_lib_never_imports_a_command_or_config():
    for path in lib_modules():
        bad = set(COMMANDS) & {m.split('.')[0] for m in imported_modules(path)}
        assert not bad, '%s imports %s' % (path, bad)


def package_faces():
    """Every sub-package's __init__.py, nested ones (lib/data/h36m) included."""
    return sorted(glob.glob(os.path.join(ROOT, 'lib', '*', '__init__.py'))
                  + glob.glob(os.path.join(ROOT, 'lib', '*', '*', '__init__.py')))


def test_every_sub_package_has_a_face_that_says_what_lives_there():
    faces = package_faces()
    assert {os.path.basename(os.path.dirname(f)) for f in faces} >= set(ORDER) - {'codec'}
    assert {'h36m', 'mocap', 'synthetic'} <= {os.path.basename(os.path.dirname(f)) for f in faces}
    for init in faces + [os.path.join(ROOT, 'lib', 'codec.py')]:
        doc = ast.get_docstring(ast.parse(open(init).read()))
        assert doc and len(doc) > 80, init
        if init.endswith('codec.py'):
            continue
        folder = os.path.dirname(init)
        members = [os.path.basename(m)[:-3] for m in glob.glob(os.path.join(folder, '*.py'))]
        members += [os.path.basename(os.path.dirname(m))
                    for m in glob.glob(os.path.join(folder, '*', '__init__.py'))]
        for name in members:
            assert name == '__init__' or name in doc, '%s: %s not described' % (init, name)


def test_the_public_api_is_importable_from_lib():
    import lib
    from lib.infer.lifter import Lifter, score
    from lib.data.dataset import load_dataset, load_subjects
    assert (lib.Lifter, lib.score, lib.load_dataset, lib.load_subjects) == \
        (Lifter, score, load_dataset, load_subjects)
    with pytest.raises(AttributeError):
        lib.no_such_name


@pytest.mark.parametrize('path', lib_modules() + glob.glob(os.path.join(ROOT, 'tools', '*.py')) +
                         [os.path.join(ROOT, c + '.py') for c in COMMANDS if c != 'tools'],
                         ids=lambda p: os.path.relpath(p, ROOT))
def test_modules_and_functions_stay_readable(path):
    text = open(path).read()
    assert text.count('\n') <= MAX_MODULE_LINES, '%d lines' % text.count('\n')
    long = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = node.end_lineno - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                long.append('%s (%d lines)' % (node.name, length))
    assert not long, ', '.join(long)


@pytest.mark.parametrize('command', [c + '.py' for c in COMMANDS if c not in ('tools', 'config')] +
                         ['tools/synthetic.py', 'tools/bench.py', 'tools/camera_study.py',
                          'tools/ship_model.py'])
def test_commands_are_thin(command):
    """A command's main() reads like a table of contents: under 40 lines."""
    tree = ast.parse(open(os.path.join(ROOT, command)).read())
    main = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == 'main']
    assert len(main) == 1 and main[0].end_lineno - main[0].lineno + 1 < 40


DEVELOPMENT = os.path.join(ROOT, 'doc', 'development.md')


def code_map():
    """{package path: set of module names} of the table in doc/development.md; a row of one
    module (`lib/codec.py`) counts for the package that holds it."""
    rows = {}
    for line in open(DEVELOPMENT).read().splitlines():
        m = re.match(r'\| `((?:lib|tools)[\w/.]*)` \| (.*) \|$', line)
        if m and m.group(1).endswith('.py'):
            folder, name = os.path.split(m.group(1))
            rows.setdefault(folder, set()).add(name[:-3])
        elif m:
            rows.setdefault(m.group(1), set()).update(re.findall(r'`(\w+)`', m.group(2)))
    return rows


def test_the_development_page_maps_every_module():
    rows = code_map()
    for folder in glob.glob(os.path.join(ROOT, 'lib', '**', '__init__.py'), recursive=True) + \
            [os.path.join(ROOT, 'tools', '__init__.py')]:
        package = os.path.relpath(os.path.dirname(folder), ROOT)
        modules = {os.path.basename(m)[:-3] for m in glob.glob(os.path.join(ROOT, package, '*.py'))}
        modules.discard('__init__')
        assert package in rows, '%s has no row in doc/development.md' % package
        assert modules <= rows[package], '%s: not on the page: %s' % (package,
                                                                      modules - rows[package])


def resolve(dotted):
    """The object a dotted name `lib.a.b.name` (or a deeper attribute) names, or None."""
    parts = dotted.split('.')
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module('.'.join(parts[:cut]))
        except ImportError:
            continue
        for attribute in parts[cut:]:
            obj = getattr(obj, attribute, None)
            if obj is None:
                return None
        return obj
    return None


def test_the_development_page_names_only_what_exists():
    names = set(re.findall(r'`(lib(?:\.\w+)+)`', open(DEVELOPMENT).read()))
    assert len(names) > 20
    missing = sorted(n for n in names if resolve(n) is None)
    assert not missing, missing
    assert resolve('lib.data.no_such_module') is None
