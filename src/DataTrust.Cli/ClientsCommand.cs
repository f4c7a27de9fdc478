using System.CommandLine;
using System.Text.Json;
using DataTrust.Audit.Events;
using DataTrust.Identity.Clients;
using Microsoft.Extensions.DependencyInjection;

namespace DataTrust.Cli;

/// <summary>
/// <c>datatrust clients add|list|rotate-secret|disable</c>: the OAuth client registry, with the same
/// validation as the admin API. A generated secret is printed once and never stored in clear.
/// </summary>
internal static class ClientsCommand
{
    public static Command Create()
    {
        var clientId = new Option<string?>("--client-id") { Description = "The client id (generated when omitted)." };
        var name = new Option<string>("--name") { Description = "Display name residents see on the consent page.", Required = true };
        var kind = new Option<string>("--kind") { Description = "ResidentApp, BusinessRecipient, DataProvider or CityOsService.", DefaultValueFactory = _ => "BusinessRecipient" };
        var method = new Option<string>("--auth-method")
        {
            Description = "client_secret_basic, client_secret_post, private_key_jwt or none.",
            DefaultValueFactory = _ => "client_secret_basic",
        };
        var redirectUris = new Option<string[]>("--redirect-uri") { Description = "A redirect URI (repeatable); exact, https or loopback http." };
        var postLogoutUris = new Option<string[]>("--post-logout-redirect-uri") { Description = "A post-logout redirect URI (repeatable)." };
        var grantTypes = new Option<string[]>("--grant-type") { Description = "authorization_code, refresh_token or client_credentials (repeatable).", Required = true };
        var scopes = new Option<string[]>("--scope") { Description = "An API scope the client may ask for (repeatable)." };
        var jwksFile = new Option<FileInfo?>("--jwks-file") { Description = "JWK Set file with the client's public keys (private_key_jwt)." };
        var highAssurance = new Option<bool>("--high-assurance") { Description = "Require PAR and DPoP (FAPI 2.0)." };
        var idTokenAlg = new Option<string?>("--id-token-alg") { Description = "RS256 to receive RS256-signed ID tokens (default ES256)." };
        var sector = new Option<string?>("--sector") { Description = "Sector host for pairwise subject identifiers." };

        var add = new Command("add", "Register a client; prints its secret once.")
        {
            clientId, name, kind, method, redirectUris, postLogoutUris, grantTypes, scopes, jwksFile, highAssurance, idTokenAlg, sector,
        };
        add.SetAction((parse, cancellationToken) => CliHost.Run(parse, async (services, _, ct) =>
        {
            JsonElement? jwks = null;
            if (parse.GetValue(jwksFile) is { } file)
            {
                try
                {
                    jwks = JsonDocument.Parse(await File.ReadAllTextAsync(file.FullName, ct)).RootElement.Clone();
                }
                catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
                {
                    await Console.Error.WriteLineAsync($"datatrust: {file.FullName} cannot be read as a JWK Set: {ex.Message}");
                    return 1;
                }
            }

            var registration = new ClientRegistration(
                parse.GetValue(clientId), parse.GetValue(name)!, parse.GetValue(kind)!, parse.GetValue(method)!,
                parse.GetValue(redirectUris) ?? [], parse.GetValue(postLogoutUris) ?? [], parse.GetValue(grantTypes) ?? [], parse.GetValue(scopes) ?? [],
                jwks, parse.GetValue(highAssurance), parse.GetValue(idTokenAlg), parse.GetValue(sector));
            var (client, errors) = await services.GetRequiredService<ClientRegistry>().RegisterAsync(registration, AuditActor.System("cli"), ct);
            if (client is null)
            {
                foreach (var (field, messages) in errors!)
                {
                    foreach (var message in messages)
                    {
                        await Console.Error.WriteLineAsync($"datatrust: {field}: {message}");
                    }
                }

                return 1;
            }

            Console.WriteLine($"client_id:     {client.Client.ClientId}");
            if (client.ClientSecret is { } secret)
            {
                Console.WriteLine($"client_secret: {secret}");
                Console.WriteLine("Store the secret now: it is not shown again and cannot be recovered.");
            }

            return 0;
        }, cancellationToken));

        var list = new Command("list", "Show the registered clients.");
        list.SetAction((parse, cancellationToken) => CliHost.Run(parse, async (services, _, ct) =>
        {
            foreach (var client in await services.GetRequiredService<ClientRegistry>().ListAsync(ct))
            {
                Console.WriteLine(string.Join("  ",
                    client.ClientId, client.Enabled ? "enabled" : "disabled", client.Kind, client.TokenEndpointAuthMethod,
                    string.Join(',', client.GrantTypes), client.HighAssurance ? "high-assurance" : "", client.DisplayName).TrimEnd());
            }

            return 0;
        }, cancellationToken));

        var target = new Argument<string>("client-id") { Description = "The client's id." };
        var rotate = new Command("rotate-secret", "Replace the client's secret; the old one stops working at once.") { target };
        rotate.SetAction((parse, cancellationToken) => CliHost.Run(parse, async (services, _, ct) =>
        {
            var id = parse.GetValue(target)!;
            if (await services.GetRequiredService<ClientRegistry>().RotateSecretAsync(id, AuditActor.System("cli"), ct) is not { } secret)
            {
                await Console.Error.WriteLineAsync($"datatrust: no client '{id}' authenticates with a client secret.");
                return 1;
            }

            Console.WriteLine($"client_secret: {secret}");
            Console.WriteLine("Store the secret now: it is not shown again and cannot be recovered.");
            return 0;
        }, cancellationToken));

        var disable = new Command("disable", "Disable a client: it can no longer authenticate or start sign-ins.") { target };
        disable.SetAction((parse, cancellationToken) => CliHost.Run(parse, async (services, _, ct) =>
        {
            var id = parse.GetValue(target)!;
            if (!await services.GetRequiredService<ClientRegistry>().DisableAsync(id, AuditActor.System("cli"), ct))
            {
                await Console.Error.WriteLineAsync($"datatrust: no client '{id}' is registered.");
                return 1;
            }

            Console.WriteLine($"Client {id} is disabled.");
            return 0;
        }, cancellationToken));

        return new Command("clients", "OAuth clients.") { add, list, rotate, disable };
    }
}
