using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection;

namespace DataTrust.Accounts;

/// <summary>Authorization policy names; each requires a signed-in person holding the role of the same name.</summary>
public static class AccessPolicies
{
    public const string Resident = "resident";
    public const string Auditor = "auditor";
    public const string Operator = "operator";
    public const string Business = "business";

    internal static IServiceCollection AddAccessPolicies(this IServiceCollection services) =>
        services.AddAuthorizationBuilder()
            .AddPolicy(Resident, p => p.RequireAuthenticatedUser().RequireRole(Roles.Resident))
            .AddPolicy(Auditor, p => p.RequireAuthenticatedUser().RequireRole(Roles.Auditor))
            .AddPolicy(Operator, p => p.RequireAuthenticatedUser().RequireRole(Roles.Operator))
            .AddPolicy(Business, p => p.RequireAuthenticatedUser().RequireRole(Roles.Business))
            .Services;
}
