/**
 * One device numbered on two replicas is joined into the lower number before a replica imports the shared
 * configuration (devices/replica-duplicates.ts): by MAC, or by address when neither has a MAC; what named
 * the higher number follows it; devices numbered by one replica, or named by a ClientID, are left alone.
 */
import { describe, expect, it } from 'vitest';
import { joinReplicaDuplicates } from '../../../server/devices/replica-duplicates.js';
import type { BackupData } from '../../../server/store/repos/backup-file.js';
import { DEVICE_ID_BLOCK } from '../../../server/store/repos/device-aliases-repo.js';

const A = DEVICE_ID_BLOCK + 1;
const B = 2 * DEVICE_ID_BLOCK + 1;

const device = (
  id: number,
  mac: string | null,
  addresses: string[],
  extra: Partial<BackupData['devices'][number]> = {},
) => ({
  id,
  mac,
  macRandom: false,
  name: null,
  autoName: null,
  vendor: null,
  type: 'unknown',
  firstSeen: id,
  lastSeen: id + 10,
  pausedUntil: null,
  addresses: addresses.map((address) => ({ address, firstSeen: id, lastSeen: id + 10 })),
  groupIds: [],
  ...extra,
});

const doc = (devices: BackupData['devices'], more: Partial<BackupData> = {}): BackupData => ({
  settings: {},
  groups: [{ id: 1, name: 'Kids', description: '' }],
  devices,
  lists: [],
  rules: [],
  companyPolicies: [],
  ...more,
});

describe('joinReplicaDuplicates', () => {
  it('joins two replicas’ numbers for one address into the lower, with what named the higher', () => {
    const data = doc(
      [
        device(A, null, ['192.168.1.20']),
        device(B, null, ['192.168.1.20', 'fe80::1'], { name: 'Anna’s phone', groupIds: [1] }),
      ],
      {
        rules: [
          {
            id: 1,
            action: 'deny',
            match: 'subdomain',
            pattern: 'x.example',
            deviceId: B,
            groupId: null,
            expiresAt: null,
            comment: '',
            createdAt: 1,
          },
        ],
        people: [{ id: 1, name: 'Anna', groupId: null, createdAt: 1, deviceIds: [B] }],
        deviceAliases: [{ oldId: 7, deviceId: B, mergedAt: 1 }],
      },
    );
    const { data: joined, joined: pairs } = joinReplicaDuplicates(data);
    expect(pairs).toEqual([[B, A]]);
    expect(joined.devices).toHaveLength(1);
    expect(joined.devices[0]).toMatchObject({ id: A, name: 'Anna’s phone', groupIds: [1] });
    expect(joined.devices[0]!.addresses.map((a) => a.address)).toEqual(['192.168.1.20', 'fe80::1']);
    expect(joined.rules[0]!.deviceId).toBe(A);
    expect(joined.people![0]!.deviceIds).toEqual([A]);
    expect(joined.deviceAliases).toEqual([
      { oldId: 7, deviceId: A, mergedAt: 1 },
      { oldId: B, deviceId: A, mergedAt: B + 10 },
    ]);
  });

  it('joins by MAC; leaves one replica’s devices, other MACs and ClientID devices alone', () => {
    const data = doc(
      [
        device(A, 'aa:bb:cc:00:00:01', ['192.168.1.5']),
        device(A + 1, null, ['192.168.1.9']),
        device(A + 2, null, ['192.168.1.9']),
        device(B, 'aa:bb:cc:00:00:01', ['192.168.1.6']),
        device(B + 1, 'aa:bb:cc:00:00:02', ['192.168.1.5']),
        device(B + 2, null, ['192.168.1.9']),
      ],
      { clientIds: [{ clientId: 'kid', deviceId: B + 2, createdAt: 1 }] },
    );
    const { data: joined, joined: pairs } = joinReplicaDuplicates(data);
    expect(pairs).toEqual([[B, A]]);
    expect(joined.devices.map((d) => d.id)).toEqual([A, A + 1, A + 2, B + 1, B + 2]);
    expect(joinReplicaDuplicates(doc([device(A, null, ['10.0.0.1'])])).joined).toEqual([]);
  });

  it('joins a device the document still has beside its alias (a change here kept it) into what it became', () => {
    const data = doc([device(A, null, ['192.168.1.20']), device(B, null, ['192.168.1.21'], { name: 'tv' })], {
      deviceAliases: [{ oldId: B, deviceId: A, mergedAt: 5 }],
    });
    const { data: joined, joined: pairs } = joinReplicaDuplicates(data);
    expect(pairs).toEqual([[B, A]]);
    expect(joined.devices).toHaveLength(1);
    expect(joined.devices[0]).toMatchObject({ id: A, name: 'tv' });
    expect(joined.deviceAliases).toEqual([{ oldId: B, deviceId: A, mergedAt: B + 10 }]);
  });
});
