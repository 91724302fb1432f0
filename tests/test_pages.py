"""The pages (infer.py --html, test.py --html) opened in a real browser: Debian's chromium,
headless, driven by Playwright. Each loads offline (nothing asked of the network), with no
console error, and says what it holds; the lift page plays, turns and steps, shows or hides each
person and lists the frames left out with their reasons; the test page gives a joint's error
under the mouse."""
import os
import shutil

import numpy as np
import pytest
from playwright.sync_api import sync_playwright

from lib.eval.pages import encode
from tests import keypoint_fixtures as fx
from tests.conftest import run_cli

EXAMPLE = os.path.join(os.path.dirname(os.path.dirname(__file__)), 'doc', 'examples',
                       'walk_coco.json')
CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
                 '--disable-component-update', '--no-first-run', '--use-angle=swiftshader',
                 '--enable-unsafe-swiftshader']


@pytest.fixture(scope='module')
def browser():
    chromium = shutil.which('chromium')
    assert chromium, 'chromium is not installed (scripts/test.sh installs it: apt-get install chromium)'
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def opened(browser, path):
    """A page of `path`, loaded and drawn; its console errors and every request it made."""
    page = browser.new_page(viewport={'width': 1100, 'height': 650})
    page.errors, page.requests = [], []
    page.on('console', lambda m: m.type == 'error' and page.errors.append(m.text))
    page.on('pageerror', lambda e: page.errors.append(str(e)))
    page.on('request', lambda r: page.requests.append(r.url))
    page.goto('file://' + os.path.abspath(str(path)))
    page.wait_for_function('document.body.dataset.ready === "1"', timeout=30000)
    return page


def pixels(page):
    """The 3D view as an array of RGB pixels."""
    from io import BytesIO

    from PIL import Image
    shot = page.locator('#view3d canvas').screenshot()
    return np.asarray(Image.open(BytesIO(shot)).convert('RGB'), np.float64)


def test_the_lift_page_plays_turns_and_steps_offline(browser, tmp_path):
    proc = run_cli('infer.py', '--input', EXAMPLE, '--output', tmp_path / 'walk.json', '--html',
                   tmp_path / 'walk.html')
    assert proc.returncode == 0, proc.stderr[-2000:]
    page = opened(browser, tmp_path / 'walk.html')
    assert page.evaluate('[document.body.dataset.people, document.body.dataset.frames]') == \
        ['2', '24']                                       # the lift's people and frames
    first = pixels(page)
    assert first.std() > 5                                # not blank
    page.evaluate('window.liftPage.play()')
    page.wait_for_function('window.liftPage.frame >= 6', timeout=20000)
    page.evaluate('window.liftPage.pause(); window.liftPage.turn(70, 15)')
    later = pixels(page)
    assert later.std() > 5 and np.abs(later - first).mean() > 1
    page.evaluate('window.liftPage.setFrame(3); window.liftPage.step(1)')
    assert page.evaluate('window.liftPage.frame') == 4
    assert page.locator('#frame').inner_text() == 'frame 5 / 24'
    page.evaluate('window.liftPage.setFrame(20)')
    assert page.evaluate('window.liftPage.visible()') == ['0', '1']
    page.locator('#people input').first.uncheck()          # person 0 hidden
    assert page.evaluate('window.liftPage.visible()') == ['1']
    assert not page.errors, page.errors
    assert all(url.startswith(('file:', 'blob:', 'data:')) for url in page.requests), \
        page.requests
    assert page.evaluate('document.body.dataset.errors') is None


def test_frames_left_out_are_shown_with_their_reasons(browser, tmp_path, trained_run):
    frames = [[fx.person_points('coco', shift=(3.0 * i, 0))] for i in range(8)]
    for i in (3, 4):
        frames[i][0][[11, 12, 13, 14, 15, 16]] = 0          # the legs not found
    path = fx.coco_results(tmp_path / 'legs.json', frames)
    model = os.path.join(trained_run['run'], 'Model_epoch6.params')
    proc = run_cli('infer.py', '--model', model, '--input', path, '--output',
                   tmp_path / 'legs_out.json', '--html', tmp_path / 'legs.html')
    assert proc.returncode == 0, proc.stderr[-2000:]
    page = opened(browser, tmp_path / 'legs.html')
    page.evaluate('window.liftPage.setFrame(3)')
    assert page.evaluate('window.liftPage.visible()') == []
    assert 'person 0 left out: 8 of 16 input joints missing' in page.evaluate(
        'window.liftPage.reasons()')
    page.evaluate('window.liftPage.setFrame(5)')
    assert page.evaluate('window.liftPage.visible()') == ['0'] and \
        page.evaluate('window.liftPage.reasons()') == ''
    assert not page.errors, page.errors


def test_the_test_page_gives_each_joint_s_error_under_the_mouse(browser, tmp_path, trained_run):
    model = os.path.join(trained_run['run'], 'Model_epoch6.params')
    proc = run_cli('test.py', '--root', tmp_path, '--dataset', trained_run['data'], '--model',
                   model, '--html', tmp_path / 'test.html')
    assert proc.returncode == 0, proc.stderr[-2000:]
    page = opened(browser, tmp_path / 'test.html')
    assert page.evaluate('document.body.dataset.samples') == str(3 * 15)   # 15 actions
    page.evaluate('window.testPage.show(4)')
    x, y = page.evaluate('window.testPage.jointOnScreen(16)')             # RWrist
    box = page.locator('#view3d canvas').bounding_box()
    page.mouse.move(box['x'] + x, box['y'] + y)
    tip = page.locator('#tip')
    tip.wait_for(state='visible')
    assert tip.inner_text().startswith('RWrist: ') and tip.inner_text().endswith(' mm')
    assert not page.errors, page.errors
    one = run_cli('test.py', '--root', tmp_path, '--dataset', trained_run['data'], '--model',
                  model, '--html', tmp_path / 'test.txt')
    assert one.returncode == 2 and 'expected a .html file name' in one.stderr


def test_page_arrays_keep_their_values_and_their_gaps():
    import base64
    values = np.array([[1.2, -3.7], [np.nan, 12000.0]])
    ints = np.frombuffer(base64.b64decode(encode(values, 2.0)), '<i2')
    assert ints.tolist() == [2, -7, -32768, 24000]
    with pytest.raises(ValueError):
        encode(np.array([20000.0]), 2.0)
