"""The shape of the library: sub-packages whose imports go one way, modules and functions of a
readable size, and lib free of the commands and of config.py."""
import ast
import glob
import os

import pytest

from tests.conftest import ROOT

# Each sub-package may import its own modules and those of the sub-packages before it.
ORDER = ('core', 'data', 'codec', 'model', 'eval', 'train', 'infer', 'cli')
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
            if ORDER.index(parts[1]) > ORDER.index(here):
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


def test_every_sub_package_has_a_face_that_says_what_lives_there():
    for package in ORDER:
        init = os.path.join(ROOT, 'lib', package, '__init__.py')
        if package == 'codec':
            init = os.path.join(ROOT, 'lib', 'codec.py')
        doc = ast.get_docstring(ast.parse(open(init).read()))
        assert doc and len(doc) > 80, init
        if package != 'codec':
            for module in glob.glob(os.path.join(ROOT, 'lib', package, '*.py')):
                name = os.path.basename(module)[:-3]
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
