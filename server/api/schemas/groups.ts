import { Type, type Static } from 'typebox';

export const Group = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  description: Type.String(),
  deviceIds: Type.Array(Type.Integer()),
});
export type Group = Static<typeof Group>;

export const GroupList = Type.Object({ items: Type.Array(Group) });
export type GroupList = Static<typeof GroupList>;

export const GroupCreateBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 60 }),
    description: Type.Optional(Type.String({ maxLength: 500 })),
    deviceIds: Type.Optional(Type.Array(Type.Integer({ minimum: 1 }), { maxItems: 1000, uniqueItems: true })),
  },
  { additionalProperties: false },
);
export type GroupCreateBody = Static<typeof GroupCreateBody>;

export const GroupUpdateBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 60 })),
    description: Type.Optional(Type.String({ maxLength: 500 })),
    deviceIds: Type.Optional(Type.Array(Type.Integer({ minimum: 1 }), { maxItems: 1000, uniqueItems: true })),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type GroupUpdateBody = Static<typeof GroupUpdateBody>;
