// K2 as a jq filter, the outside reference of `npm run bench`: a ServiceAccount whose
// sourceIPs hold an address outside networks.trusted + networks.devvm (the default sets,
// IPv4 only; jq has no CIDR matching, so the octets are compared as numbers).
export const JQ_K2 = `
def inside:
  (split(".") | map(tonumber? // -1)) as $o
  | ($o | length) == 4 and (
      ($o[0] == 10 and $o[1] == 0 and $o[2] >= 20 and $o[2] <= 23)
      or ($o[0] == 192 and $o[1] == 168 and $o[2] == 1)
      or ($o[0] == 10 and $o[1] == 10)
      or ($o[0] == 10 and $o[1] >= 96 and $o[1] <= 111)
      or ($o[0] == 100 and $o[1] >= 64 and $o[1] <= 127)
      or ($o[0] == 10 and $o[1] == 0 and $o[2] == 10));
select((.user.username // "") | startswith("system:serviceaccount:"))
| select([.sourceIPs[]? | inside | not] | any)`;
