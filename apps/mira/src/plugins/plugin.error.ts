export type PluginErrorCode =
  /** Neither a file at that path nor an installed package of that name. */
  | 'PLUGIN_NOT_FOUND'
  /** The file or package threw while it was required. */
  | 'PLUGIN_LOAD_FAILED'
  /** It loaded, but exports no Nest module (or several, with no default). */
  | 'PLUGIN_NOT_A_MODULE';

/** A plugin listed in `modules` / MIRA_MODULES that cannot be imported; the message names it and says how to fix it. */
export class PluginError extends Error {
  constructor(
    readonly code: PluginErrorCode,
    /** The entry as listed in `modules` / MIRA_MODULES. */
    readonly plugin: string,
    message: string,
  ) {
    super(message);
    this.name = 'PluginError';
  }
}
