import { NetError, type Batch, type Netns } from '../net';
import { hexDigest } from '../net/digest';

/**
 * The temporary name of an attachment's new link (a link created from the host side straight
 * into the container cannot take its final name there: kernels before 6.x check names against
 * the namespace it is created from): derived from the container id and interface name, so a DEL
 * after an ADD killed before the rename finds and removes it.
 */
export function temporaryName(containerId: string, ifName: string): string {
  return `mvtmp${hexDigest('sha256', `${containerId}\0${ifName}`).slice(0, 8)}`;
}

/**
 * The new link inside the container: born under its temporary name, renamed to its final
 * one as the first step of the batch that configures it (one process in the container
 * namespace for both). Knows which name it has, so a rollback deletes exactly this link and
 * never one that already had the final name.
 */
export class ContainerLink {
  /** The name the link has now. */
  name: string;

  constructor(
    private readonly container: Netns,
    containerId: string,
    private readonly finalName: string,
  ) {
    this.name = temporaryName(containerId, finalName);
  }

  /** Runs rename + `configure`'s steps in one batch. */
  async renameAnd(configure: (batch: Batch) => Batch): Promise<void> {
    const batch = this.container.batch().rename(this.name, this.finalName);
    configure(batch);
    try {
      await batch.run();
    } catch (e) {
      // A failure after the first step means the rename itself went through.
      if (e instanceof NetError && e.stepIndex !== undefined && e.stepIndex > 0) this.name = this.finalName;
      throw e;
    }
    this.name = this.finalName;
  }

  async delete(): Promise<void> {
    await this.container.deleteLink(this.name);
  }
}
