using System.Collections.Immutable;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;

namespace DataTrust.Policies;

/// <summary>
/// <c>GET /api/policy</c>: the data-use policy in force, public and read-only, for businesses preparing
/// data requests and for the transparency page. The ETag is the policy version, so a client can keep
/// its copy until the policy changes.
/// </summary>
internal static class GetPolicyEndpoint
{
    public static IEndpointRouteBuilder MapPolicyEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/policy", Handle)
            .AllowAnonymous()
            .WithTags("Policy")
            .WithName("GetPolicy")
            .Produces(StatusCodes.Status304NotModified)
            .WithSummary("The data-use policy in force")
            .WithDescription("Purposes (with their DPV mapping and limits), data categories (fields, sensitivity, retention), "
                + "field-minimisation rules, recipient criteria and the policy version recorded with every decision.");
        return endpoints;
    }

    internal static Results<Ok<PolicyDocument>, StatusCodeHttpResult> Handle(HttpContext context, DataUsePolicy policy)
    {
        var etag = new EntityTagHeaderValue($"\"{policy.Version}\"");
        context.Response.Headers.ETag = etag.ToString();
        context.Response.Headers.CacheControl = "public, no-cache"; // revalidate: a redeploy may bring a new policy

        var ifNoneMatch = context.Request.GetTypedHeaders().IfNoneMatch;
        if (ifNoneMatch.Any(tag => tag.Equals(EntityTagHeaderValue.Any) || tag.Compare(etag, useStrongComparison: false)))
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        return TypedResults.Ok(PolicyDocument.From(policy));
    }
}

/// <summary>The published form of the policy; identifiers and enum words are those of the YAML files.</summary>
internal sealed record PolicyDocument(
    string Version,
    string VersionLabel,
    int SchemaVersion,
    PolicyStatisticsSettings Statistics,
    ImmutableArray<PolicyPurposeEntry> Purposes,
    ImmutableArray<PolicyCategoryEntry> Categories,
    ImmutableArray<PolicyRuleEntry> Minimisation,
    ImmutableArray<PolicyCriterionEntry> RecipientCriteria)
{
    public static PolicyDocument From(DataUsePolicy policy) => new(
        policy.Version,
        policy.VersionLabel,
        policy.Settings.SchemaVersion,
        new PolicyStatisticsSettings(policy.StatisticsMinimumGroupSize),
        [.. policy.Purposes.Select(p => new PolicyPurposeEntry(
            p.Id, p.Title, p.Description, p.DpvPurposes, p.MaxConsentDuration.ToString(), p.SensitiveDataAllowed, p.AggregateOnly))],
        [.. policy.Categories.Select(c => new PolicyCategoryEntry(
            c.Id, c.Name, c.Description, c.IsSpecialCare ? "special-care" : "normal", c.Retention.ToString(),
            [.. c.Fields.Select(f => new PolicyFieldEntry(f.Id, f.Name, FieldTypeWord(f.Type), f.Type == FieldType.Enum ? f.EnumValues : null))]))],
        [.. policy.MinimisationRules.Select(r => new PolicyRuleEntry(r.PurposeId, [.. r.Allowed.Select(a => new PolicyAllowanceEntry(a.CategoryId, a.FieldIds))]))],
        [.. policy.RecipientCriteria.Select(c => new PolicyCriterionEntry(
            c.Id, c.Text, c.AppliesTo == CriterionScope.SpecialCareRecipients ? "special-care" : "all"))]);

    private static string FieldTypeWord(FieldType type) => type switch
    {
        FieldType.String => "string",
        FieldType.Integer => "integer",
        FieldType.Decimal => "decimal",
        FieldType.Boolean => "boolean",
        FieldType.Date => "date",
        FieldType.DateTime => "datetime",
        FieldType.Enum => "enum",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };
}

internal sealed record PolicyStatisticsSettings(int MinimumGroupSize);

internal sealed record PolicyPurposeEntry(
    string Id,
    PolicyText Title,
    PolicyText Description,
    ImmutableArray<string> Dpv,
    string MaxConsentDuration,
    bool SensitiveDataAllowed,
    bool AggregateOnly);

internal sealed record PolicyCategoryEntry(
    string Id,
    PolicyText Name,
    PolicyText Description,
    string Sensitivity,
    string Retention,
    ImmutableArray<PolicyFieldEntry> Fields);

internal sealed record PolicyFieldEntry(string Id, PolicyText Name, string Type, ImmutableArray<string>? Values);

internal sealed record PolicyRuleEntry(string Purpose, ImmutableArray<PolicyAllowanceEntry> Allow);

internal sealed record PolicyAllowanceEntry(string Category, ImmutableArray<string> Fields);

internal sealed record PolicyCriterionEntry(string Id, PolicyText Text, string AppliesTo);
