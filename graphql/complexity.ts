/**
 * Query cost limit: every field costs 1, and a field that takes `first` multiplies the cost of what it
 * selects by that page size (the largest page, 100, when the size is a variable: the rule runs once per
 * query text, before variables are known, so that mercurius can cache it). Depth is limited separately by
 * mercurius (`queryDepth`).
 */
import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type FieldNode,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';

const defaultPage = 20;
const largestPage = 100;

export function complexityRule(maxCost: number) {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of context.getDocument().definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    }
    const pageSize = (field: FieldNode): number => {
      const first = field.arguments?.find((a) => a.name.value === 'first');
      if (!first) return field.name.value === 'classifications' ? defaultPage : 1;
      if (first.value.kind === Kind.INT) return Number(first.value.value);
      if (first.value.kind === Kind.VARIABLE) return largestPage;
      return defaultPage;
    };
    const cost = (selectionSet: SelectionSetNode | undefined, seen: Set<string>): number => {
      if (!selectionSet) return 0;
      let total = 0;
      for (const selection of selectionSet.selections) {
        if (selection.kind === Kind.FIELD) total += 1 + pageSize(selection) * cost(selection.selectionSet, seen);
        else if (selection.kind === Kind.INLINE_FRAGMENT) total += cost(selection.selectionSet, seen);
        else if (!seen.has(selection.name.value)) {
          const fragment = fragments.get(selection.name.value);
          total += cost(fragment?.selectionSet, new Set([...seen, selection.name.value]));
        }
      }
      return total;
    };
    return {
      OperationDefinition(node) {
        const total = cost(node.selectionSet, new Set());
        if (total > maxCost) {
          context.reportError(new GraphQLError(`query cost ${total} exceeds the limit of ${maxCost}; ask for fewer fields or smaller pages`, { nodes: [node] }));
        }
      },
    };
  };
}
