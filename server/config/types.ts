/**
 * The shape of one leaf of the key table in schema.ts (`KeySpec`: type, default, limits, environment
 * variable, why, an example for messages) and the rule that turns the table into the `Config` type. The
 * table is the one definition of every key: its entry gives the key's TypeScript type (`ConfigOf`), its
 * checks and its conversion (coerce.ts), the dashboard's schema for it (settings/settings-schema.ts) and
 * its line in config/tracksink.example.yaml. Kept apart from the table so this file has no values to load.
 */

export type Kind = 'string' | 'integer' | 'boolean' | 'string[]' | 'map';

interface KeyCommon {
  why: string;
  /** The environment variable that overrides this key (comma lists for string[]). */
  env?: string;
  /**
   * A value to show in messages ("Write … like <example>") when the default does not illustrate the key
   * (an empty list, an empty string).
   */
  example?: string;
  /** Check of the whole value; returns what is wrong and what to write instead, or null. */
  check?: (value: unknown) => string | null;
}

export interface IntegerKey extends KeyCommon {
  kind: 'integer';
  default: number;
  min?: number;
  max?: number;
}

export interface BooleanKey extends KeyCommon {
  kind: 'boolean';
  default: boolean;
}

export interface StringKey extends KeyCommon {
  kind: 'string';
  default: string;
  /** Allowed values; the key's type is their union. */
  oneOf?: readonly string[];
}

export interface ListKey extends KeyCommon {
  kind: 'string[]';
  default: readonly string[];
  /** Check of each item; same contract as `check`. */
  itemCheck?: (item: string) => string | null;
}

export interface MapKey extends KeyCommon {
  kind: 'map';
  default: Readonly<Record<string, string>>;
  /** Check of each value; same contract as `check`. */
  itemCheck?: (item: string) => string | null;
}

/** One leaf of the schema: what `kind` says decides which limits it may carry and its default's type. */
export type KeySpec = IntegerKey | BooleanKey | StringKey | ListKey | MapKey;

export type SchemaNode = { readonly [key: string]: KeySpec | SchemaNode };

export function isKeySpec(node: KeySpec | SchemaNode): node is KeySpec {
  return typeof (node as KeySpec).kind === 'string' && 'why' in node;
}

/** The value a key holds once loaded: its kind, narrowed to the choices of `oneOf` when it has them. */
export type ValueOf<Spec extends KeySpec> = Spec extends IntegerKey
  ? number
  : Spec extends BooleanKey
    ? boolean
    : Spec extends ListKey
      ? string[]
      : Spec extends MapKey
        ? Record<string, string>
        : Spec extends { oneOf: readonly (infer Choice extends string)[] }
          ? Choice
          : string;

/** The loaded configuration a key table describes: a branch per node, a value per leaf. */
export type ConfigOf<Node extends SchemaNode> = {
  -readonly [Key in keyof Node]: Node[Key] extends KeySpec
    ? ValueOf<Node[Key]>
    : Node[Key] extends SchemaNode
      ? ConfigOf<Node[Key]>
      : never;
};
