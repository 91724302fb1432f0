"""config.py: defaults, YAML overrides with checked keys and types, dump and reload."""
import pytest
import yaml

from config import default_config, dump_config, load_config, to_plain
from lib.core.errors import PoseError
from tests.conftest import write_yaml


def test_defaults_are_the_recipe():
    cfg = default_config()
    assert cfg.NETWORK.linear_size == 1024 and cfg.NETWORK.nResBlock == 2
    assert cfg.NETWORK.dropout == 0.5
    assert cfg.TRAIN.lr == 1e-3 and cfg.TRAIN.decay_rate == 0.96
    assert cfg.TRAIN.decay_steps == 100000 and cfg.TRAIN.batchsize == 64
    assert cfg.TRAIN.end_epoch == 200
    assert cfg.DATASET.train_subjects == [1, 5, 6, 7, 8] and cfg.DATASET.test_subjects == [9, 11]
    cfg.TRAIN.lr = 5.0
    assert default_config().TRAIN.lr == 1e-3        # a fresh copy every call


def test_every_key_is_commented():
    source = open('config.py').read()
    for section, values in default_config().items():
        for key in values:
            line = [l for l in source.splitlines() if l.strip().startswith('cfg.%s.%s ' % (section, key))]
            assert line and '#' in line[0], '%s.%s has no comment' % (section, key)


def test_yaml_overrides_and_roundtrip(tmp_path):
    path = write_yaml(tmp_path / 'a.yaml', 'TRAIN:\n  lr: 2\n  end_epoch: 3\nDATASET:\n  test_subjects: [9]\n')
    cfg = load_config(path)
    assert cfg.TRAIN.lr == 2.0 and isinstance(cfg.TRAIN.lr, float)
    assert cfg.TRAIN.end_epoch == 3 and cfg.DATASET.test_subjects == [9]
    assert cfg.TRAIN.batchsize == 64
    out = str(tmp_path / 'dump.yaml')
    dump_config(cfg, out)
    assert to_plain(load_config(out)) == to_plain(cfg)
    assert yaml.safe_load(open(out))['TRAIN']['lr'] == 2.0


@pytest.mark.parametrize('text, message', [
    ('TRAIN:\n  lrate: 0.1\n', 'TRAIN.lrate is unknown'),
    ('MODEL: {}\n', 'MODEL is unknown'),
    ('TRAIN:\n  end_epoch: ten\n', 'TRAIN.end_epoch: expected int'),
    ('TRAIN:\n  end_epoch: 2.5\n', 'TRAIN.end_epoch: expected int'),
    ('NETWORK:\n  hybrid: 1\n', 'NETWORK.hybrid: expected bool'),
    ('DATASET:\n  train_subjects: [1, x]\n', 'DATASET.train_subjects: expected list'),
    ('TRAIN: 3\n', 'TRAIN: expected a mapping'),
    ('TRAIN: [\n', 'not valid YAML'),
    ('!!python/object:os.system {}\n', 'not valid YAML'),
    # The fast recipe's options (tests/test_budget.py has their behaviour).
    ('TRAIN:\n  schedule: linear\n', 'TRAIN.schedule: expected one of exponential, cosine'),
    ('TRAIN:\n  lr_floor: 1.5\n', 'TRAIN.lr_floor: expected a finite number in'),
    ('TRAIN:\n  warmup_steps: -1\n', 'TRAIN.warmup_steps: expected a finite number in'),
    ('TRAIN:\n  warmup_steps: 2.5\n', 'TRAIN.warmup_steps: expected int'),
    ('TRAIN:\n  frame_stride: 0\n', 'TRAIN.frame_stride: expected a finite number in'),
    ('TRAIN:\n  bn_momentum_start: 1.0\n', 'TRAIN.bn_momentum_start: expected a finite number in'),
    ('TRAIN:\n  time_budget: -5\n', 'TRAIN.time_budget: expected a finite number in'),
    ('TRAIN:\n  time_budget: .nan\n', 'TRAIN.time_budget: expected a finite number in'),
])
def test_bad_yaml_names_the_key(tmp_path, text, message):
    path = write_yaml(tmp_path / 'bad.yaml', text)
    with pytest.raises(PoseError, match=message) as err:
        load_config(path)
    assert path in str(err.value)
