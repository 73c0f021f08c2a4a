/**
 * kind clusters on the Targets screen, in Debian's Chromium against a real core, with the STAND-IN
 * `kind` of test/support/kind.ts (no kind binary exists here: its `create cluster` prints kind's own
 * progress lines, `get kubeconfig` gives the Kubernetes test cluster's). The administrator creates a
 * kind target from the keyboard and sees kind's steps as they happen, then the checks; stops and
 * starts its node (a real container carrying kind's cluster label) from the target's row; and removes
 * the target with its cluster only after ticking the box and typing the name. axe-core finds no
 * serious or critical violation in the dialogs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { addedTargetInstance } from '../../cluster';
import { KIND_CLUSTER_LABEL } from '../../cluster/kind/commands';
import { Api, startTestCore, type TestCore } from '../support/core';
import { BASE_IMAGE, ensureBaseImage } from '../support/images';
import { clusterForTests } from '../support/k8s';
import { kubectlFor } from '../support/k8s/kubectl';
import { testClusterContainerd } from '../support/k8s/load';
import { standInKind } from '../support/kind';
import { docker, instanceName, removeInstance } from '../support/run-stage';
import { buildUi, hasChromium, openBrowser, type Browser } from './browser';

const cluster = hasChromium() ? await clusterForTests('targets-kind-ui', { hostRouted: true }) : undefined;
const socket = cluster ? testClusterContainerd() : undefined;
if (!hasChromium())
  console.warn('kind targets UI end-to-end test skipped: no Chromium at /usr/bin/chromium.');

const TARGET = 'dev';
const KIND_CLUSTER = `dd-ui-${process.pid}`;
const INSTANCE = instanceName('kind-ui');
const AXE = path.resolve('node_modules/axe-core/axe.min.js');

/** Serious and critical accessibility violations within `selector` (see services-ui.test.ts). */
async function axeProblems(page: Page, selector: string): Promise<string[]> {
  if (!(await page.evaluate("typeof window.axe === 'object'")))
    await page.evaluate(fs.readFileSync(AXE, 'utf8'));
  const violations = (await page.evaluate(
    `axe.run(${JSON.stringify(selector)}).then((r) => r.violations)`,
  )) as {
    id: string;
    impact: string | null;
    help: string;
  }[];
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help}`);
}

describe.skipIf(!cluster || !socket)(
  'kind targets in the UI (a stand-in kind: there is no kind binary here)',
  () => {
    const originalPath = process.env.PATH!;
    let t: TestCore;
    let api: Api;
    let browser: Browser;
    let page: Page;
    let scratch: string;
    let node: string | undefined;
    const pageErrors: string[] = [];
    const calls = () => {
      const file = path.join(scratch, 'state', 'calls');
      return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n') : [];
    };

    beforeAll(async () => {
      buildUi();
      await ensureBaseImage();
      scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-kind-ui-'));
      // The core runs in this process: the stand-in is found on its PATH.
      process.env.PATH = `${standInKind(scratch, cluster!.kubeconfig, socket!)}:${originalPath}`;
      t = await startTestCore({ target: 'docker', instance: INSTANCE, routerBase: BASE_IMAGE });
      api = await new Api(t.url).register('admin', 'e2e-secret');
      browser = await openBrowser();
      page = browser.page;
      page.setDefaultTimeout(30_000);
      page.on('pageerror', (err) => pageErrors.push(err.message));
    }, 600_000);

    afterAll(async () => {
      process.env.PATH = originalPath;
      await browser?.close();
      if (api) await api.delete(`/v2/desktop/targets/${TARGET}/`).catch(() => undefined);
      await t?.stop();
      if (node)
        await docker
          .getContainer(node)
          .remove({ force: true })
          .catch(() => undefined);
      if (cluster) {
        const label = `deis-desktop/instance=${addedTargetInstance(INSTANCE, TARGET)}`;
        await kubectlFor(cluster.kubeconfig)(['delete', 'namespace', '-l', label, '--wait=false']).catch(
          () => '',
        );
      }
      await removeInstance(INSTANCE);
      if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
      await cluster?.release();
    }, 120_000);

    it("creates a kind target from the keyboard, kind's steps shown as they happen, then the checks", async () => {
      await page.goto(t.url + '/');
      await page.getByLabel('Username').fill('admin');
      await page.getByLabel('Password').fill('e2e-secret');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('link', { name: 'Targets', exact: true }).click();
      await page.getByRole('heading', { name: 'Targets', exact: true }).waitFor();
      await page.getByRole('button', { name: 'Add a kind cluster' }).focus();
      await page.keyboard.press('Enter');
      const dialog = page.getByTestId('add-kind-dialog');
      await dialog.getByRole('heading', { name: 'Add a kind cluster' }).waitFor();
      await page.keyboard.type(TARGET);
      // A cluster name kind would refuse is said at once, and the button stays off.
      await dialog.getByLabel('kind cluster').fill('Bad_Name');
      await dialog.getByText(/lower-case letters, digits and dashes, starting and ending/).waitFor();
      expect(await dialog.getByRole('button', { name: 'Add', exact: true }).isDisabled()).toBe(true);
      await dialog.getByLabel('kind cluster').fill(KIND_CLUSTER);
      await dialog.getByLabel(/Create the cluster/).check();
      expect(await axeProblems(page, '[data-testid="add-kind-dialog"]')).toEqual([]);
      await dialog.getByRole('button', { name: 'Create and add' }).click();
      // The task's named steps, from kind's own progress lines.
      await dialog
        .getByText(/Preparing nodes/)
        .first()
        .waitFor();
      const result = dialog.getByTestId('add-kind-result');
      await result.waitFor({ timeout: 120_000 });
      expect(await result.textContent()).toContain(`Added ${TARGET} (kind cluster ${KIND_CLUSTER}`);
      expect(calls().some((c) => c.startsWith(`create cluster --name ${KIND_CLUSTER}`))).toBe(true);
      await dialog.getByRole('button', { name: 'Done' }).click();
      const row = page.getByTestId(`target-row-${TARGET}`);
      await row.waitFor();
      expect(await row.textContent()).toContain(KIND_CLUSTER);
    }, 180_000);

    it("stops and starts the cluster's node from its row", async () => {
      const c = await docker.createContainer({
        Image: BASE_IMAGE,
        Cmd: ['sleep', 'infinity'],
        name: `${KIND_CLUSTER}-control-plane`,
        Labels: { [KIND_CLUSTER_LABEL]: KIND_CLUSTER, 'io.x-k8s.kind.role': 'control-plane' },
      });
      node = c.id;
      await c.start();
      const row = page.getByTestId(`target-row-${TARGET}`);
      await row.getByRole('button', { name: `Stop ${TARGET}` }).click();
      const dialog = page.getByTestId('power-target-dialog');
      const result = dialog.getByTestId('power-target-result');
      await result.waitFor({ timeout: 60_000 });
      expect(await result.textContent()).toContain(`${TARGET} stopped.`);
      expect(await result.textContent()).toMatch(/Stopping nodes \(1\/1\)/);
      expect((await c.inspect()).State.Running).toBe(false);
      await page.keyboard.press('Escape');
      await row.getByRole('button', { name: `Start ${TARGET}` }).click();
      await page.getByTestId('power-target-result').waitFor({ timeout: 60_000 });
      expect(await page.getByTestId('power-target-result').textContent()).toContain(`${TARGET} started.`);
      expect((await c.inspect()).State.Running).toBe(true);
      await page.keyboard.press('Escape');
    }, 180_000);

    it('removes the target and deletes its cluster only when asked, the name typed', async () => {
      const row = page.getByTestId(`target-row-${TARGET}`);
      await row.getByRole('button', { name: `Remove ${TARGET}` }).click();
      const dialog = page.getByTestId('remove-target-dialog');
      await dialog.getByText('The kind cluster itself is kept unless you ask').waitFor();
      await dialog.getByLabel(new RegExp(`Also delete the kind cluster ${KIND_CLUSTER}`)).check();
      expect(await axeProblems(page, '[data-testid="remove-target-dialog"]')).toEqual([]);
      const button = dialog.getByRole('button', { name: `Remove ${TARGET} and delete its cluster` });
      expect(await button.isDisabled()).toBe(true);
      await dialog.getByLabel(`Type ${TARGET} to confirm`).fill(TARGET);
      await button.click();
      await row.waitFor({ state: 'detached' });
      expect(calls().some((c) => c.startsWith(`delete cluster --name ${KIND_CLUSTER}`))).toBe(true);
      const left = ((await api.get('/v2/desktop/targets/')).body as { results: { name: string }[] }).results;
      expect(left.map((x) => x.name)).toEqual(['local']);
      expect(pageErrors).toEqual([]);
    }, 120_000);
  },
);
