namespace DataTrust.Policies.Loading;

/// <summary>
/// Checks across files: every name a minimisation rule uses must exist, special-care categories go
/// only to purposes allowed to use them, and every purpose has a rule. A file that could not be read
/// at all is skipped here, so its problem is reported once rather than as a cascade of dangling names.
/// </summary>
internal static class PolicyReferences
{
    public static void Check(
        PolicyFile purposesFile,
        List<PurposeDraft>? purposes,
        List<CategoryDraft>? categories,
        PolicyFile minimisationFile,
        List<RuleDraft>? rules)
    {
        if (rules is null)
        {
            return;
        }

        var purposesById = purposes?.ToDictionary(p => p.Id, StringComparer.Ordinal);
        var categoriesById = categories?.ToDictionary(c => c.Id, StringComparer.Ordinal);
        var ruleLines = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var rule in rules)
        {
            var purposeId = rule.Purpose.Id;
            minimisationFile.FirstOccurrence(ruleLines, purposeId, rule.Purpose.Node, "rule for purpose");
            PurposeDraft? purpose = null;
            if (purposesById is not null && !purposesById.TryGetValue(purposeId, out purpose))
            {
                minimisationFile.Error(rule.Purpose.Node, $"the rule names purpose '{purposeId}', which {PurposesFile.Name} does not define");
            }

            var categoryLines = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var allowance in rule.Allowed)
            {
                var categoryId = allowance.Category.Id;
                if (!minimisationFile.FirstOccurrence(categoryLines, categoryId, allowance.Category.Node, "category", $"the rule for purpose '{purposeId}'")
                    || categoriesById is null)
                {
                    continue;
                }

                if (!categoriesById.TryGetValue(categoryId, out var category))
                {
                    minimisationFile.Error(allowance.Category.Node, $"the rule for purpose '{purposeId}' names category '{categoryId}', which {CategoriesFile.Name} does not define");
                    continue;
                }

                if (purpose is { SensitiveDataAllowed: false } && category.Sensitivity == Sensitivity.SpecialCare)
                {
                    minimisationFile.Error(allowance.Category.Node,
                        $"purpose '{purposeId}' may not use special-care personal information (要配慮個人情報), but its rule allows category '{categoryId}', which is special-care: "
                        + $"remove the category, or set sensitive_data_allowed: true for the purpose after an ethics review");
                }

                foreach (var field in allowance.Fields.Where(f => !category.FieldIds.Contains(f.Id)))
                {
                    minimisationFile.Error(field.Node, $"the rule for purpose '{purposeId}' names field '{field.Id}', which category '{categoryId}' does not have");
                }
            }
        }

        foreach (var purpose in purposes ?? [])
        {
            if (!ruleLines.ContainsKey(purpose.Id))
            {
                purposesFile.Error(purpose.Line, $"purpose '{purpose.Id}' has no rule in {MinimisationFile.Name}, so no data could ever be released for it: add one");
            }
        }
    }
}
