using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DataTrust.Accounts;
using DataTrust.Audit;
using DataTrust.Audit.Events;
using DataTrust.Audit.Integrity;
using DataTrust.Audit.Verification;
using DataTrust.Common.Demo;
using DataTrust.Persistence;
using DataTrust.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace DataTrust.Tests.Audit;

/// <summary>The auditor API over real HTTP, signed in through the real login form.</summary>
public abstract class AuditApiTests(StorageProvider provider) : IDisposable, IAsyncLifetime
{
    private readonly DataTrustFactory _factory = new(provider);

    public void Dispose() => _factory.Dispose();

    public Task InitializeAsync() => _factory.StartWithEmptyAuditLogAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Theory]
    [InlineData("GET", "/api/audit/entries")]
    [InlineData("GET", "/api/audit/entries/0")]
    [InlineData("POST", "/api/audit/verify")]
    [InlineData("GET", "/api/audit/consistency?from=0")]
    [InlineData("POST", "/api/audit/exports")]
    [InlineData("POST", "/api/audit/checkpoints")]
    public async Task Anonymous_callers_get_401_and_residents_403_as_problem_details(string method, string path)
    {
        var anonymous = await _factory.CreateClient().SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
        anonymous.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        anonymous.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");

        var resident = await _factory.CreateClientAsync(Roles.Resident);
        var forbidden = await resident.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
        forbidden.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        forbidden.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
    }

    [Fact]
    public async Task Signing_keys_are_published_to_anyone_as_a_JWK_set()
    {
        await _factory.SealAsync();

        var response = await _factory.CreateClient().GetAsync("/api/audit/keys");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/jwk-set+json");
        var key = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("keys")[0];
        key.GetProperty("kty").GetString().ShouldBe("EC");
        key.GetProperty("crv").GetString().ShouldBe("P-256");
        key.GetProperty("alg").GetString().ShouldBe("ES256");
        key.TryGetProperty("d", out _).ShouldBeFalse();
    }

    [Fact]
    public async Task Search_filters_and_pages_and_is_itself_recorded()
    {
        var hanako = await DemoUserIdAsync(Roles.Resident);
        var consent = Guid.NewGuid();
        await _factory.AppendManyAsync(9, batch: 3);
        await _factory.AppendAsync(new ConsentChanged(AuditActor.Resident(hanako), hanako, consent, "demo-business", "dpv:ServiceProvision", ConsentChange.Granted));
        var auditor = await _factory.CreateClientAsync(Roles.Auditor);

        var byRecipient = await SearchAsync(auditor, "?action=recipient.reviewed&recipient=recipient-1");
        byRecipient.Items.Select(i => i.GetProperty("seq").GetInt64()).ShouldBe([1L, 4, 7]);

        var byConsent = await SearchAsync(auditor, $"?consent={consent}");
        byConsent.Items.Single().GetProperty("action").GetString().ShouldBe(AuditAction.ConsentGranted);

        var byResident = await SearchAsync(auditor, $"?residentId={hanako}");
        var subject = byResident.Items.Single().GetProperty("subject").GetString();
        subject.ShouldBe(_factory.Service<AuditPseudonyms>().Of(hanako));
        // by pseudonym: the consent, and the search by resident id just made, which names the resident too
        (await SearchAsync(auditor, $"?subject={subject}")).Items.Count.ShouldBe(2);

        var window = await SearchAsync(auditor, $"?from={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddMinutes(-5).ToString("O"))}&to={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddMinutes(5).ToString("O"))}&actorType=system&limit=500");
        window.Items.Count.ShouldBe(9);
        (await SearchAsync(auditor, $"?to={DateTimeOffset.UtcNow.AddMinutes(-5):yyyy-MM-ddTHH:mm:ssZ}")).Items.ShouldBeEmpty();

        var paged = new List<long>();
        string cursor = "";
        do
        {
            var page = await SearchAsync(auditor, "?actorType=system&limit=2" + cursor);
            page.Items.Count.ShouldBeLessThanOrEqualTo(2);
            paged.AddRange(page.Items.Select(i => i.GetProperty("seq").GetInt64()));
            cursor = page.NextAfter is { } next ? $"&after={next}" : "";
        }
        while (cursor != "");

        paged.ShouldBe(Enumerable.Range(0, 9).Select(i => (long)i));

        // Every search above is in the log, by the auditor; the resident search names the resident.
        var searches = (await _factory.EntriesAsync()).Where(e => e.Action == AuditAction.AuditSearched).ToList();
        searches.Count.ShouldBe(6 + 5);
        searches.ShouldAllBe(e => e.ActorType == "auditor");
        searches.Count(e => e.Subject == subject).ShouldBe(2);
    }

    [Theory]
    [InlineData("/api/audit/entries?from=yesterday")]
    [InlineData("/api/audit/entries?from=2026-11-21T09:00:00")]
    [InlineData("/api/audit/entries?from=2026-11-22T00:00:00Z&to=2026-11-21T00:00:00Z")]
    [InlineData("/api/audit/entries?limit=501")]
    [InlineData("/api/audit/entries?limit=0")]
    [InlineData("/api/audit/entries?limit=ten")]
    [InlineData("/api/audit/entries?after=-1")]
    [InlineData("/api/audit/entries?consent=not-a-uuid")]
    [InlineData("/api/audit/entries?residentId=42")]
    [InlineData("/api/audit/entries?subject=XYZ")]
    [InlineData("/api/audit/entries?actorType=robot")]
    [InlineData("/api/audit/entries?colour=red")]
    [InlineData("/api/audit/entries?limit=1&limit=2")]
    [InlineData("/api/audit/entries/abc")]
    [InlineData("/api/audit/entries/-1")]
    [InlineData("/api/audit/consistency")]
    [InlineData("/api/audit/consistency?from=-3")]
    [InlineData("/api/audit/consistency?from=5&to=2")]
    [InlineData("/api/audit/consistency?from=0&to=100000")]
    public async Task Bad_input_gets_400_problem_details_and_changes_nothing(string path)
    {
        await _factory.AppendManyAsync(5);
        var auditor = await _factory.CreateClientAsync(Roles.Auditor);
        var before = (await _factory.EntriesAsync()).Count;

        var response = await auditor.GetAsync(path);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        problem.GetProperty("status").GetInt32().ShouldBe(400);
        problem.GetProperty("detail").GetString().ShouldNotBeNullOrWhiteSpace();
        (await _factory.EntriesAsync()).Count.ShouldBe(before);
    }

    [Fact]
    public async Task Unknown_entries_get_404_and_change_nothing()
    {
        await _factory.AppendManyAsync(2);
        var auditor = await _factory.CreateClientAsync(Roles.Auditor);
        var before = (await _factory.EntriesAsync()).Count;

        var response = await auditor.GetAsync("/api/audit/entries/99999");

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        (await _factory.EntriesAsync()).Count.ShouldBe(before);
    }

    [Fact]
    public async Task An_entry_comes_with_an_inclusion_proof_against_the_latest_signed_checkpoint()
    {
        await _factory.AppendManyAsync(12, batch: 4);
        var auditor = await _factory.CreateClientAsync(Roles.Auditor);
        (await auditor.GetAsync("/api/audit/entries/3")).StatusCode.ShouldBe(HttpStatusCode.OK); // not sealed yet: no proof

        var sealResponse = await auditor.PostAsync("/api/audit/checkpoints", null);
        sealResponse.StatusCode.ShouldBe(HttpStatusCode.OK);
        var checkpoint = await sealResponse.Content.ReadFromJsonAsync<JsonElement>();
        var detail = await auditor.GetFromJsonAsync<JsonElement>("/api/audit/entries/3");

        var inclusion = detail.GetProperty("inclusion");
        var size = inclusion.GetProperty("treeSize").GetInt64();
        size.ShouldBe(checkpoint.GetProperty("treeSize").GetInt64());
        var leaf = MerkleHash.Leaf(System.Text.Encoding.UTF8.GetBytes(detail.GetProperty("encoded").GetString()!));
        Convert.ToHexStringLower(leaf).ShouldBe(detail.GetProperty("entry").GetProperty("leafHash").GetString());
        var proof = inclusion.GetProperty("proof").EnumerateArray().Select(h => Convert.FromHexString(h.GetString()!)).ToList();
        var root = Convert.FromHexString(inclusion.GetProperty("rootHash").GetString()!);
        MerkleProofs.VerifyInclusion(3, size, leaf, proof, root).ShouldBeTrue();

        // The checkpoint is signed by a published key, and signs that root.
        var jws = inclusion.GetProperty("checkpoint").GetString()!;
        var keys = AuditJwk.ReadSet(await _factory.CreateClient().GetStringAsync("/api/audit/keys"));
        var (signed, kid) = CheckpointJws.Read(jws)!.Value;
        CheckpointJws.VerifySignature(jws, keys[kid]).ShouldBeTrue();
        signed.RootHash.ShouldBe(root);

        var actions = (await _factory.EntriesAsync()).Select(e => e.Action).ToList();
        actions.Count(a => a == AuditAction.AuditEntryViewed).ShouldBe(2);
        actions.ShouldContain(AuditAction.AuditCheckpointSealed);
    }

    [Fact]
    public async Task Verification_reports_an_intact_log_then_the_first_bad_index_and_is_recorded()
    {
        await _factory.AppendManyAsync(10);
        await _factory.SealAsync();
        var auditor = await _factory.CreateClientAsync(Roles.Auditor);

        var intact = await (await auditor.PostAsync("/api/audit/verify", null)).Content.ReadFromJsonAsync<JsonElement>();
        intact.GetProperty("ok").GetBoolean().ShouldBeTrue();
        // 10 appended, the auditor's sign-in, and the verification itself (recorded before it runs)
        intact.GetProperty("entries").GetInt64().ShouldBe(12);

        await _factory.ExecuteAsync("UPDATE audit_entries SET action = 'consent.revoked' WHERE seq = 4");
        var tampered = await (await auditor.PostAsJsonAsync("/api/audit/verify", new { })).Content.ReadFromJsonAsync<JsonElement>();
        tampered.GetProperty("ok").GetBoolean().ShouldBeFalse();
        tampered.GetProperty("firstBadIndex").GetInt64().ShouldBe(4);

        var bad = await auditor.PostAsJsonAsync("/api/audit/verify", new { trustedCheckpoint = "not a checkpoint" });
        bad.StatusCode.ShouldBe(HttpStatusCode.BadRequest);

        (await _factory.EntriesAsync()).Count(e => e.Action == AuditAction.AuditVerified).ShouldBe(2);
    }

    [Fact]
    public async Task Consistency_proofs_link_two_checkpoints()
    {
        await _factory.AppendManyAsync(6);
        var first = await _factory.SealAsync();
        await _factory.AppendManyAsync(7, start: 6);
        var second = await _factory.SealAsync();
        var auditor = await _factory.CreateClientAsync(Roles.Auditor);

        var body = await auditor.GetFromJsonAsync<JsonElement>($"/api/audit/consistency?from={first.TreeSize}");

        body.GetProperty("toSize").GetInt64().ShouldBe(second.TreeSize);
        body.GetProperty("fromCheckpoint").GetString().ShouldBe(first.Jws);
        body.GetProperty("toCheckpoint").GetString().ShouldBe(second.Jws);
        var proof = body.GetProperty("proof").EnumerateArray().Select(h => Convert.FromHexString(h.GetString()!)).ToList();
        MerkleProofs.VerifyConsistency(first.TreeSize, second.TreeSize, proof, first.RootHash, second.RootHash).ShouldBeTrue();
        (await _factory.EntriesAsync()).ShouldContain(e => e.Action == AuditAction.AuditConsistencyRequested);
    }

    [Fact]
    public async Task An_exported_bundle_verifies_offline_and_covers_its_own_export_record()
    {
        await _factory.AppendManyAsync(30, batch: 10);
        var auditor = await _factory.CreateClientAsync(Roles.Auditor);

        var response = await auditor.PostAsync("/api/audit/exports", null);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/zip");
        await using var bundle = new MemoryStream(await response.Content.ReadAsByteArrayAsync());
        var report = OfflineBundleVerifier.Verify(bundle);
        report.Log.Ok.ShouldBeTrue(string.Join("\n", report.Log.Problems));
        var entries = await _factory.EntriesAsync();
        report.Log.Entries.ShouldBe(entries.Count);
        entries[^1].Action.ShouldBe(AuditAction.AuditExported);
    }

    [Fact]
    public async Task Only_operators_rotate_the_signing_key()
    {
        await _factory.SealAsync();
        var auditor = await _factory.CreateClientAsync(Roles.Auditor);
        var @operator = await _factory.CreateClientAsync(Roles.Operator);

        (await auditor.PostAsync("/api/audit/signing-keys/rotate", null)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        var rotated = await @operator.PostAsync("/api/audit/signing-keys/rotate", null);

        rotated.StatusCode.ShouldBe(HttpStatusCode.OK);
        var keyId = (await rotated.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("keyId").GetString();
        var keys = await _factory.CreateClient().GetFromJsonAsync<JsonElement>("/api/audit/keys");
        keys.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("kid").GetString()).ShouldContain(keyId);
        keys.GetProperty("keys").GetArrayLength().ShouldBe(2);
        var rotation = (await _factory.EntriesAsync()).Single(e => e.Action == AuditAction.AuditSigningKeyRotated);
        rotation.ActorType.ShouldBe("operator");
    }

    private async Task<Guid> DemoUserIdAsync(string role)
    {
        using var scope = _factory.Services.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<UserAccount>>();
        return (await users.FindByEmailAsync(SignIn.DemoEmail(role)))!.Id;
    }

    private static async Task<(List<JsonElement> Items, long? NextAfter)> SearchAsync(HttpClient client, string query)
    {
        var response = await client.GetAsync("/api/audit/entries" + query);
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var next = body.GetProperty("nextAfter");
        return (body.GetProperty("items").EnumerateArray().ToList(), next.ValueKind == JsonValueKind.Null ? null : next.GetInt64());
    }
}

public sealed class SqliteAuditApiTests() : AuditApiTests(StorageProvider.Sqlite);

public sealed class PostgresAuditApiTests() : AuditApiTests(StorageProvider.Postgres);
