/**
 * Back-references the store keeps consistent: when a child object points at a parent through
 * `childField`, the parent lists the child's id in each of `parentFields`.
 *
 * e.g. VBD.VM ↔ VM.$VBDs, VDI.$SR ↔ SR.VDIs, VM.$container ↔ host.residentVms.
 */
export interface Relation {
  readonly childTypes: readonly string[]
  readonly childField: string
  readonly parentTypes: readonly string[]
  readonly parentFields: readonly string[]
}

export const VM_FAMILY = ['VM', 'VM-template', 'VM-snapshot', 'VM-controller'] as const
export const VDI_FAMILY = ['VDI', 'VDI-snapshot', 'VDI-unmanaged'] as const

export const RELATIONS: readonly Relation[] = [
  { childTypes: ['VBD'], childField: 'VM', parentTypes: VM_FAMILY, parentFields: ['$VBDs'] },
  { childTypes: ['VBD'], childField: 'VDI', parentTypes: VDI_FAMILY, parentFields: ['$VBDs'] },
  { childTypes: VDI_FAMILY, childField: '$SR', parentTypes: ['SR'], parentFields: ['VDIs'] },
  { childTypes: ['VIF'], childField: '$VM', parentTypes: VM_FAMILY, parentFields: ['VIFs'] },
  { childTypes: ['VIF'], childField: '$network', parentTypes: ['network'], parentFields: ['VIFs'] },
  { childTypes: ['PIF'], childField: '$network', parentTypes: ['network'], parentFields: ['PIFs'] },
  { childTypes: ['PIF'], childField: '$host', parentTypes: ['host'], parentFields: ['$PIFs', 'PIFs'] },
  { childTypes: ['PBD'], childField: 'host', parentTypes: ['host'], parentFields: ['$PBDs'] },
  { childTypes: ['PBD'], childField: 'SR', parentTypes: ['SR'], parentFields: ['$PBDs'] },
  { childTypes: ['PCI'], childField: '$host', parentTypes: ['host'], parentFields: ['$PCIs', 'PCIs'] },
  { childTypes: ['PGPU'], childField: '$host', parentTypes: ['host'], parentFields: ['$PGPUs', 'PGPUs'] },
  { childTypes: ['VM-snapshot'], childField: '$snapshot_of', parentTypes: ['VM', 'VM-template'], parentFields: ['snapshots'] },
  { childTypes: ['VDI-snapshot'], childField: '$snapshot_of', parentTypes: ['VDI'], parentFields: ['snapshots'] },
  // A VM resident on a host (running or paused) has that host as $container.
  { childTypes: ['VM', 'VM-controller'], childField: '$container', parentTypes: ['host'], parentFields: ['residentVms'] },
]

const byChildType = new Map<string, Relation[]>()
const byParentType = new Map<string, Relation[]>()
for (const relation of RELATIONS) {
  for (const type of relation.childTypes) {
    let list = byChildType.get(type)
    if (list === undefined) byChildType.set(type, (list = []))
    list.push(relation)
  }
  for (const type of relation.parentTypes) {
    let list = byParentType.get(type)
    if (list === undefined) byParentType.set(type, (list = []))
    list.push(relation)
  }
}

const none: readonly Relation[] = []

/** Relations in which objects of `type` are the child (they hold the forward reference). */
export function relationsOfChild(type: string): readonly Relation[] {
  return byChildType.get(type) ?? none
}

/** Relations in which objects of `type` are the parent (they hold the back-reference arrays). */
export function relationsOfParent(type: string): readonly Relation[] {
  return byParentType.get(type) ?? none
}
