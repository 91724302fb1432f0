"""The Python API (lib.infer.lifter) and the shape of the code base: the README's example runs and
gives infer.py's and test.py's numbers; lib/ never imports a command; every command has --help."""
import json
import os
import re

import numpy as np
import pytest

from lib.infer.lifter import Lifter, device_context
from lib.core.errors import PoseError
from tests import keypoint_fixtures as fx
from tests.conftest import ROOT, run_cli

COMMANDS = ('train.py', 'test.py', 'infer.py', 'export.py', 'tools/bench.py')


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
    from lib.data.dataset import load_subjects
    from lib.infer.lifter import score
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


def test_lift_file_returns_what_infer_py_writes(tmp_path, trained_run):
    """Lifter.lift_file is infer.py's path: its result, written as infer.py writes it, is the
    JSON and the array infer.py wrote, with the filled joints and left-out frames named."""
    model = os.path.join(trained_run['run'], 'Model_epoch6.params')
    frames = [[fx.person_points('coco', shift=(6.0 * i, 0))] for i in range(6)]
    frames[2][0][9] = 0                        # LWrist not found in one frame
    frames[4][0][[5, 6, 11, 12, 13]] = 0       # too much missing: left out
    path = fx.coco_results(tmp_path / 'coco.json', frames)
    out = tmp_path / 'out.json'
    proc = run_cli('infer.py', '--model', model, '--input', path, '--output', out, '--smooth', 1)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = Lifter.load(model).lift_file(path, smooth=1.0)
    written = json.load(open(out))
    assert json.loads(json.dumps(result.to_json(model=model, input=str(path)))) == written
    np.testing.assert_array_equal(result.stacked(), np.load(str(out)[:-5] + '_3d.npy'))
    person = result.people[0]
    assert list(person.rows) == [0, 1, 2, 3, 5] and person.filled[2] == ['LWrist']
    assert person.left_out[0][0] == 4 and 'input joints missing' in person.left_out[0][1]
    assert person.jitter is not None and result.rescaled


@pytest.mark.parametrize('command', [(c,) for c in COMMANDS] + [('tools/synthetic.py',)])
def test_every_command_describes_itself(command):
    proc = run_cli(*command, '--help')
    assert proc.returncode == 0, proc.stderr
    # argparse prints the description after the usage lines and a blank line.
    description = proc.stdout.split('\n\n')[1].strip()
    assert len(description) > 20 and not description.startswith(('-', 'options')), proc.stdout
