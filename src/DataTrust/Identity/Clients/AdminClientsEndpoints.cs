using System.Security.Claims;
using DataTrust.Accounts;
using DataTrust.Audit.Events;
using DataTrust.Common.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace DataTrust.Identity.Clients;

/// <summary>
/// <c>/api/admin/clients</c>: operators register, list, inspect, re-secret and disable OAuth clients.
/// Errors are RFC 9457 problem details; a secret appears once, in the response that created it.
/// </summary>
internal static class AdminClientsEndpoints
{
    public static IEndpointRouteBuilder MapAdminClients(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/admin/clients")
            .RequireAuthorization(AccessPolicies.Operator)
            .RequireRateLimiting(RateLimiting.Sensitive)
            .WithTags("Clients");

        group.MapGet("/", async (ClientRegistry registry, CancellationToken cancellationToken) => TypedResults.Ok(await registry.ListAsync(cancellationToken)))
            .WithSummary("All registered clients");

        group.MapGet("/{clientId}", async Task<Results<Ok<ClientView>, ProblemHttpResult>> (string clientId, ClientRegistry registry, CancellationToken cancellationToken) =>
            await registry.FindAsync(clientId, cancellationToken) is { } client ? TypedResults.Ok(client) : NotFound(clientId))
            .WithSummary("One client");

        group.MapPost("/", async Task<Results<Created<RegisteredClient>, ValidationProblem>> (ClientRegistration registration, ClientRegistry registry, ClaimsPrincipal user, CancellationToken cancellationToken) =>
            {
                var (client, errors) = await registry.RegisterAsync(registration, Operator(user), cancellationToken);
                return client is null
                    ? TypedResults.ValidationProblem(errors!, title: "The client registration is not valid")
                    : TypedResults.Created($"/api/admin/clients/{Uri.EscapeDataString(client.Client.ClientId)}", client);
            })
            .WithSummary("Register a client; the response shows its secret once");

        group.MapPost("/{clientId}/secret", async Task<Results<Ok<RotatedSecret>, ProblemHttpResult>> (string clientId, ClientRegistry registry, ClaimsPrincipal user, CancellationToken cancellationToken) =>
            await registry.RotateSecretAsync(clientId, Operator(user), cancellationToken) is { } secret
                ? TypedResults.Ok(new RotatedSecret(clientId, secret))
                : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such client with a secret",
                    detail: $"No client '{clientId}' authenticates with a client secret."))
            .WithSummary("Replace the client's secret; the old one stops working at once");

        group.MapPost("/{clientId}/disable", async Task<Results<NoContent, ProblemHttpResult>> (string clientId, ClientRegistry registry, ClaimsPrincipal user, CancellationToken cancellationToken) =>
            await registry.DisableAsync(clientId, Operator(user), cancellationToken) ? TypedResults.NoContent() : NotFound(clientId))
            .WithSummary("Disable a client");
        return endpoints;
    }

    private static AuditActor Operator(ClaimsPrincipal user) =>
        AuditActor.FromUser(user, AuditActorType.Operator) ?? throw new InvalidOperationException("Only a signed-in operator reaches the client registry.");

    private static ProblemHttpResult NotFound(string clientId) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such client", detail: $"No client '{clientId}' is registered.");
}

public sealed record RotatedSecret(string ClientId, string ClientSecret);
