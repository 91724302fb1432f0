"""The documentation tells the truth: every option documented, --help whole, no placeholder,
no dangling link or script, and the README short with its two commands first."""
import ast
import glob
import os
import re

import pytest

from tests.conftest import ROOT, run_cli

COMMANDS = ('train.py', 'test.py', 'infer.py', 'export.py', 'tools/synthetic.py',
            'tools/bench.py', 'tools/camera_study.py', 'tools/ship_model.py')
DOCS = ([os.path.join(ROOT, 'README.md')] + sorted(glob.glob(os.path.join(ROOT, 'doc', '*.md')))
        + sorted(glob.glob(os.path.join(ROOT, 'models', '*', 'README.md'))))


@pytest.fixture(scope='module')
def helps():
    out = {}
    for command in COMMANDS:
        proc = run_cli(command, '--help')
        assert proc.returncode == 0, proc.stderr
        out[command] = proc.stdout
    return out


def options_of(help_text):
    """The long options a --help text lists (after its 'options:' heading)."""
    listed = help_text[help_text.index('\noptions:'):]
    return sorted(set(re.findall(r'^\s+(?:-\w, )?(--[a-z][a-z0-9-]*)', listed, re.M)) - {'--help'})


@pytest.mark.parametrize('command', COMMANDS)
def test_every_option_is_in_the_usage_page(helps, command):
    usage = open(os.path.join(ROOT, 'doc', 'usage.md')).read()
    section = usage[usage.index('## ' + command):]
    section = section[:section.find('\n## ', 3)]
    options = options_of(helps[command])
    assert len(options) >= 3, helps[command]
    missing = [o for o in options if '`%s' % o not in section]
    assert not missing, '%s: not in doc/usage.md: %s' % (command, missing)


@pytest.mark.parametrize('command', COMMANDS)
def test_help_prints_the_whole_description(helps, command):
    doc = ast.get_docstring(ast.parse(open(os.path.join(ROOT, command)).read()))
    text = ' '.join(helps[command].split())
    for line in doc.splitlines():
        assert ' '.join(line.split()) in text, line


def test_no_placeholder_survives():
    for path in DOCS + glob.glob(os.path.join(ROOT, 'lib', '**', '*.py'), recursive=True):
        text = open(path).read()
        found = re.findall(r'\b(?:TODO|FIXME|XXX|TBD|[A-Z]{3,}_(?:TODAY|HERE|VALUE))\b', text)
        assert not found, '%s: %s' % (path, found)


def test_links_and_named_files_exist():
    for path in DOCS:
        text = open(path).read()
        base = os.path.dirname(path)
        for target in re.findall(r'\]\(([^)#\s]+)\)', text):
            if not target.startswith('http'):
                assert os.path.exists(os.path.join(base, target)), '%s: link %s' % (path, target)
        for name in re.findall(r'`((?:lib|tools|configs|scripts|doc|data|tests)/[\w./-]+\.'
                               r'(?:py|yaml|sh|md|json))`', text):
            assert os.path.exists(os.path.join(ROOT, name)), '%s names %s' % (path, name)
        for script in re.findall(r'python (\S+\.py)\b', text):
            assert os.path.exists(os.path.join(ROOT, script)), '%s runs %s' % (path, script)


def test_every_test_the_docs_name_exists():
    """A test named in a page (`test_x.py::test_y`, or `test_y` alone: a name of three words or
    more, which no config key such as `test_subjects` is) is a test of the suite."""
    defined = {}
    for path in glob.glob(os.path.join(ROOT, 'tests', 'test_*.py')):
        names = {n.name for n in ast.walk(ast.parse(open(path).read()))
                 if isinstance(n, ast.FunctionDef) and n.name.startswith('test_')}
        defined[os.path.basename(path)] = names
    everywhere = set().union(*defined.values())
    for path in DOCS:
        text = open(path).read()
        for module, name in re.findall(r'(?:tests/)?(test_\w+\.py)::(test_\w+)', text):
            assert name in defined.get(module, ()), '%s names %s::%s' % (path, module, name)
        for name in re.findall(r'`(test_[a-z0-9]+_[a-z0-9]+_\w+)`', text):
            assert name in everywhere, '%s names %s' % (path, name)


def test_readme_is_short_and_starts_with_the_two_commands():
    lines = open(os.path.join(ROOT, 'README.md')).read().splitlines()
    assert len(lines) <= 150
    block = lines[lines.index('```bash') + 1:lines.index('```')]
    assert block == ['bash scripts/demo.sh', 'bash scripts/test.sh']
    assert lines.index('```bash') <= 3
    for name in ('LICENSE', 'CITATION.cff'):
        assert os.path.isfile(os.path.join(ROOT, name))
    assert 'Martinez' in open(os.path.join(ROOT, 'CITATION.cff')).read()


def test_readme_figures_are_the_demo_s():
    """The synthetic row of the README's results is what the demo wrote (doc/demo/results.md),
    not a hand-typed number."""
    readme = open(os.path.join(ROOT, 'README.md')).read()
    row = re.search(r'\| ground truth, \*\*synthetic data\*\*, (\d+) CPU epochs \| ([\d.]+) mm \| '
                    r'([\d.]+) mm \|', readme)
    assert row, 'README has no synthetic results row'
    table = open(os.path.join(ROOT, 'doc', 'demo', 'results.md')).read()
    assert table.startswith('# Model_epoch%s.params' % row.group(1))
    averages = {}
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip('|').split('|')]
        if cells[0] in ('#1 MPJPE', '#2 PA-MPJPE'):
            averages[cells[0]] = cells[-2]             # the Avg column
    assert (averages['#1 MPJPE'], averages['#2 PA-MPJPE']) == (row.group(2), row.group(3))
