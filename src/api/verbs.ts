// The verbs upstream lists in discovery for an ordinary read-write resource.
export const standardVerbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
