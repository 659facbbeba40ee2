import { expect, type Locator, type Page } from '@playwright/test';

/** The layout editor: disk settings and map, partition list, inspector, build panel, share link. */
export class EditorPage {
  readonly page: Page;
  readonly heading: Locator;
  readonly engineStatus: Locator;
  readonly saveStatus: Locator;
  readonly preset: Locator;
  readonly diskSummary: Locator;
  readonly diskSize: Locator;
  readonly map: Locator;
  readonly mapRegions: Locator;
  readonly mapInfo: Locator;
  readonly partitionList: Locator;
  readonly partitionRows: Locator;
  readonly inspector: Locator;
  readonly buildButton: Locator;
  readonly buildStatus: Locator;
  readonly buildProgress: Locator;
  readonly buildResult: Locator;
  readonly sha256: Locator;
  readonly notice: Locator;
  readonly shareDialog: Locator;
  readonly undoToast: Locator;
  readonly layoutSelect: Locator;
  readonly importInput: Locator;

  constructor(page: Page) {
    this.page = page;
    this.heading = page.getByRole('heading', { level: 1 });
    this.engineStatus = page.getByTestId('engine-status');
    this.saveStatus = page.getByTestId('save-status');
    this.preset = page.getByTestId('preset');
    this.diskSummary = page.getByTestId('disk-summary');
    this.diskSize = page.getByLabel('Disk size', { exact: true });
    this.map = page.getByTestId('disk-map');
    this.mapRegions = page.getByTestId('map-region');
    this.mapInfo = page.getByTestId('map-info');
    this.partitionList = page.getByTestId('partition-list');
    this.partitionRows = page.getByTestId('partition-row');
    this.inspector = page.getByRole('region', { name: /^(Partition \d|Blob:|Nothing)/ });
    this.buildButton = page.getByRole('button', { name: 'Build ▸' });
    this.buildStatus = page.getByTestId('build-status');
    this.buildProgress = page.getByTestId('build-progress');
    this.buildResult = page.getByTestId('build-result');
    this.sha256 = page.getByLabel('SHA-256');
    this.notice = page.getByTestId('notice');
    this.shareDialog = page.getByTestId('share-dialog');
    this.undoToast = page.getByTestId('undo-toast');
    this.layoutSelect = page.getByTestId('layout-select');
    this.importInput = page.getByTestId('import-input');
  }

  async goto(path = '/'): Promise<void> {
    await this.page.goto(path);
  }

  /**
   * The engine answered, the stored layout is loaded and the map is drawn. A first run shows the
   * start screen: `start` picks that card (the repart GPT example unless told), or none when false.
   */
  async waitForReady(start: string | false = 'example:gpt-disk'): Promise<void> {
    await expect(this.engineStatus).toContainText('Engine ready');
    await expect(this.saveStatus).toHaveText('saved');
    if (start !== false && (await this.startScreen.isVisible())) await this.presetCard(start).click();
    if (start !== false) await expect(this.map).toBeVisible();
  }

  get startScreen(): Locator {
    return this.page.getByTestId('start-screen');
  }

  /** A card of the start screen: `example:<id>` or `nixos:<name>`. */
  presetCard(choice: string): Locator {
    return this.page.locator(`[data-testid="preset-card"][data-preset="${choice}"]`).first();
  }

  async waitForSaved(): Promise<void> {
    await expect(this.saveStatus).toHaveText('saved');
  }

  /** Opens a preset (an example's id, or `nixos:<name>`) from the start screen (Presets…). */
  async loadPreset(id: string): Promise<void> {
    const choice = id.includes(':') ? id : `example:${id}`;
    if (!(await this.startScreen.isVisible())) await this.preset.click();
    await this.presetCard(choice).click();
    await expect(this.startScreen).toBeHidden();
  }

  /** The inspector's field with this label (the field table's title). */
  field(title: string): Locator {
    return this.inspector.getByLabel(title, { exact: true });
  }

  /** Types into a field and commits it as Enter does (or picks the choice of a closed list). */
  async setField(title: string, value: string): Promise<void> {
    const input = this.field(title);
    if (await input.evaluate((el) => el.tagName === 'SELECT')) {
      await input.selectOption(value);
      return;
    }
    await input.fill(value);
    await input.press('Enter');
  }

  async setDiskSize(value: string): Promise<void> {
    await this.diskSize.fill(value);
    await this.diskSize.press('Enter');
  }

  row(index: number): Locator {
    return this.partitionRows.nth(index);
  }

  async selectRow(index: number): Promise<void> {
    await this.row(index).click();
  }

  /** The type column of every row, in order. */
  async rowTypes(): Promise<string[]> {
    return this.partitionRows.locator('.type').allTextContents();
  }

  async rowLabels(): Promise<string[]> {
    return this.partitionRows.locator('.label').allTextContents();
  }

  mapRegion(label: string): Locator {
    return this.page.locator(`[data-testid="map-region"][data-label="${label}"]`);
  }

  async build(): Promise<void> {
    await expect(this.buildButton).toBeEnabled();
    await this.buildButton.click();
  }

  /** The selected partition's contents (CopyFiles=) box. */
  get contents(): Locator {
    return this.page.getByTestId('contents');
  }

  get contentsEntries(): Locator {
    return this.page.getByTestId('contents-entry');
  }

  /** Picks a folder for the selected partition, as "+ folder" does (a webkitdirectory input). */
  async addFolder(dir: string): Promise<void> {
    await this.page.getByTestId('contents-folder-input').setInputFiles(dir);
  }

  /** Imports a repart.d directory's `*.conf` files, as Import… does (the files it names are then missing). */
  async importRepartDir(confPaths: readonly string[]): Promise<void> {
    await this.importInput.setInputFiles([...confPaths]);
    await expect(this.notice).toContainText(`Imported ${confPaths.length} .conf file`);
  }

  /** The build inputs' slots (BaseImage=, ISOHybridMBR=, blob Source=, CopyBlocks=): each one's path as the layout writes it. */
  async inputPaths(): Promise<string[]> {
    const slots = this.page.getByTestId('input-slot');
    return (await slots.evaluateAll((els) => els.map((el) => el.getAttribute('data-path') ?? ''))).filter(Boolean);
  }

  /** Chooses the file for the build input at `path` (its slot's "Choose…"). */
  async chooseInput(path: string, file: string): Promise<void> {
    const slot = this.page.locator(`[data-testid="input-slot"][data-path="${path}"]`);
    await slot.locator('input[type="file"]').setInputFiles(file);
    await expect(slot).not.toContainText('missing');
  }

  /** The sources (CopyFiles=) of the selected partition that have nothing staged yet. */
  async missingContentSources(): Promise<string[]> {
    const missing = this.contentsEntries.filter({ hasText: 'missing' });
    return missing.locator('.src').allTextContents();
  }

  /** Fills the missing source `source` of the selected partition with an archive, as "Choose archive…" does. */
  async chooseContentsArchive(source: string, archive: string): Promise<void> {
    const exact = new RegExp(`^${source.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
    const entry = this.contentsEntries.filter({ has: this.page.locator('.src', { hasText: exact }) }).first();
    const [chooser] = await Promise.all([this.page.waitForEvent('filechooser'), entry.getByRole('button', { name: 'Choose archive…' }).click()]);
    await chooser.setFiles(archive);
    await expect(entry).toContainText('archive ');
  }

  /** SOURCE_DATE_EPOCH for the build, when the layout does not set its own (the field is then disabled). */
  async setSourceDateEpoch(epoch: string): Promise<void> {
    const field = this.page.getByTestId('source-date-epoch');
    if (!(await field.isEnabled())) return;
    await field.fill(epoch);
    await field.press('Enter');
    await field.blur();
  }

  /** Verity=signature: the key and certificate that sign the root hash; false when the layout signs nothing. */
  async setVeritySigning(keyPem: string, certPem: string): Promise<boolean> {
    const signing = this.page.getByTestId('verity-signing');
    if (!(await signing.isVisible())) return false;
    await signing.getByLabel('private key', { exact: true }).setInputFiles(keyPem);
    await signing.getByLabel('certificate', { exact: true }).setInputFiles(certPem);
    return true;
  }

  /** Builds with the whole-image SHA-256 on and returns it (hex) once the result shows. */
  async buildSha256(timeoutMs: number): Promise<string> {
    await this.sha256.check();
    await this.build();
    await expect(this.buildResult).toBeVisible({ timeout: timeoutMs });
    const sha = await this.buildResult.locator('.hash').getAttribute('title');
    expect(sha).toMatch(/^[0-9a-f]{64}$/);
    return sha!;
  }

  /** Downloads the last build in `format` (the output menu's value). */
  async download(format = 'raw'): Promise<import('@playwright/test').Download> {
    await this.page.getByTestId('output-format').selectOption(format);
    const [download] = await Promise.all([this.page.waitForEvent('download'), this.buildResult.getByRole('button', { name: 'Download' }).click()]);
    return download;
  }

  async copyShareLink(): Promise<string> {
    await this.page.getByRole('button', { name: 'Copy link' }).click();
    const field = this.page.getByTestId('share-url');
    await expect(field).toHaveValue(/#layout=/);
    return field.inputValue();
  }
}
