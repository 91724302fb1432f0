"""The Python API (lib.lifter) and the shape of the code base: the README's example runs and
gives infer.py's and test.py's numbers; lib/ never imports a command; every command has --help."""
import ast
import glob
import json
import os
import re

import numpy as np
import pytest

from lib.lifter import Lifter, device_context
from lib.errors import PoseError
from tests import keypoint_fixtures as fx
from tests.conftest import ROOT, run_cli

COMMANDS = ('train.py', 'test.py', 'infer.py', 'export.py', 'bench.py')


def readme_example():
    """The Python block of the README between the api-example markers."""
    text = open(os.path.join(ROOT, 'README.md')).read()
    block = re.search(r'<!-- api-example -->\s*```python\n(.*?)```', text, re.S)
    assert block, 'README has no api-example block'
    return block.group(1)


def test_readme_example_gives_infer_and_test_numbers(tmp_path, trained_run):
    model = os.path.join(trained_run['run'], 'Model_epoch6.params')
    frames = [[fx.person_points('coco', shift=(6.0 * i, 0))] for i in range(4)]
    np.save(tmp_path / 'coco.npy', np.stack([f[0] for f in frames]))
    code = readme_example()
    # The README's placeholders become this run, this data and these keypoints.
    code = re.sub(r"^model_path = .*$", 'model_path = %r' % model, code, flags=re.M)
    code = re.sub(r"^keypoints = .*$", 'keypoints = np.load(%r)' % str(tmp_path / 'coco.npy'),
                  code, flags=re.M)
    code = re.sub(r"^dataset = .*$", 'dataset = %r' % trained_run['data'], code, flags=re.M)
    scope = {}
    exec(compile(code, 'README.md', 'exec'), scope)
    # infer.py on the same keypoints gives the same poses.
    path = fx.coco_results(tmp_path / 'coco.json', frames)
    out = tmp_path / 'out.json'
    proc = run_cli('infer.py', '--model', model, '--input', path, '--output', out)
    assert proc.returncode == 0, proc.stderr[-2000:]
    np.testing.assert_allclose(scope['poses'], np.load(str(out)[:-5] + '_3d.npy')[0], atol=1e-3)
    # test.py on the same data gives the same table.
    proc = run_cli('test.py', '--root', trained_run['root'], '--dataset', trained_run['data'],
                   '--model', model)
    assert proc.returncode == 0, proc.stderr[-2000:]
    table = json.load(open(model[:-7] + '_results.json'))
    for protocol in ('protocol1', 'protocol2'):
        for name, value in table[protocol].items():
            assert scope['results'][protocol][name] == pytest.approx(value, abs=1e-3)


def test_lifter_evaluate_equals_score_of_predict(trained_run):
    from lib.dataset import load_subjects
    from lib.lifter import score
    lifter = Lifter.load(os.path.join(trained_run['run'], 'Model_epoch6.params'))
    test = load_subjects(trained_run['data'], [9])
    results, errors, pred = lifter.evaluate(test)
    assert len(errors['p1']) == len(test['ids']) == len(pred)
    again = score(lifter.predict(test['pose2d']), test['pose3d'], test['ids'])
    assert again['protocol1']['Average'] == pytest.approx(results['protocol1']['Average'],
                                                          abs=1e-4)


def test_lifter_refuses_bad_input(trained_run):
    lifter = Lifter.load(os.path.join(trained_run['run'], 'Model_epoch6.params'))
    with pytest.raises(PoseError, match='expected shape'):
        lifter.predict(np.zeros((3, 16, 2)))
    with pytest.raises(PoseError, match='NaN'):
        lifter.predict(np.full((1, 17, 2), np.nan))
    with pytest.raises(PoseError, match='device'):
        device_context('tpu')
    assert device_context(-1) == device_context('cpu')


def _imports(path):
    """Every module a file imports, by its full dotted name."""
    tree = ast.parse(open(path).read())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from ('%s.%s' % (node.module, a.name) for a in node.names)


def test_lib_never_imports_a_command():
    commands = {c[:-3] for c in COMMANDS}
    for path in glob.glob(os.path.join(ROOT, 'lib', '*.py')):
        bad = commands & {m.split('.')[0] for m in _imports(path)}
        assert not bad, '%s imports %s' % (path, bad)
    # Evaluation, prediction and the API do not need the training loop.
    for module in ('evaluation.py', 'prediction.py', 'lifter.py'):
        assert 'lib.training' not in set(_imports(os.path.join(ROOT, 'lib', module))), module


@pytest.mark.parametrize('command', [(c,) for c in COMMANDS] + [('-m', 'lib.synthetic')])
def test_every_command_describes_itself(command):
    proc = run_cli(*command, '--help')
    assert proc.returncode == 0, proc.stderr
    # argparse prints the description after the usage lines and a blank line.
    description = proc.stdout.split('\n\n')[1].strip()
    assert len(description) > 20 and not description.startswith(('-', 'options')), proc.stdout
