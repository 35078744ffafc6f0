/** Id lists of XO records (group.users, user.groups, role.userIds, …) as sets that keep their order. */

/** The ids of a list field (anything else reads as empty). */
export const idList = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : [])

/** `list` with `value` appended, unless already there. */
export const addTo = (list: unknown, value: string): string[] => {
  const ids = idList(list)
  return ids.includes(value) ? ids : [...ids, value]
}

/** `list` without `value`. */
export const removeFrom = (list: unknown, value: string): string[] => idList(list).filter((item) => item !== value)
