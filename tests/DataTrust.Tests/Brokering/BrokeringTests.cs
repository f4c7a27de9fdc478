using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DataTrust.Audit.Storage;
using DataTrust.Brokering;
using DataTrust.Consent;
using DataTrust.Identity.Clients;
using DataTrust.Identity.Storage;
using DataTrust.Identity.Subjects;
using DataTrust.Persistence;
using DataTrust.Tests.Consent;
using DataTrust.Tests.Identity;
using DataTrust.Tests.Infrastructure;
using DataTrust.Vault.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace DataTrust.Tests.Brokering;

/// <summary>
/// The brokering API through real HTTP: a recipient publishes a mobility request, hanako grants it, the
/// vault holds her records (with fields the purpose may never receive), and the recipient asks for data.
/// </summary>
public abstract class BrokeringTests(StorageProvider provider) : IDisposable
{
    private const string Rcpt = "rcpt-broker";
    private static readonly DateTimeOffset ConsentFrom = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset ConsentTo = new(2026, 12, 31, 0, 0, 0, TimeSpan.Zero);

    private readonly BrokerHost _host = new(provider);

    protected BrokerHost Host => _host;

    public void Dispose()
    {
        _host.Dispose();
        GC.SuppressFinalize(this);
    }

    protected sealed record Setup(HttpClient Admin, HttpClient Recipient, HttpClient Hanako, Guid ResidentId, Guid ConsentId);

    protected async Task<Setup> ArrangeAsync(string accessMode = "periodic")
    {
        var admin = await ConsentHost.OperatorAsync(_host);
        await _host.RecipientAsync(admin, Rcpt);
        var recipient = await _host.TokenClientAsync(Rcpt);
        var requestId = await ConsentHost.PublishAsync(recipient, admin, new
        {
            purposeId = "mobility-improvement",
            categories = new[]
            {
                new { category = "mobility", fields = new[] { "trip_date", "transport_mode" } },
                new { category = "resident-basic", fields = new[] { "age_band" } },
            },
            duration = "P6M",
            accessMode,
            maxReleasesPerPeriod = accessMode == "periodic" ? 3 : (int?)null,
            frequencyPeriod = accessMode == "periodic" ? "P1M" : null,
            dataFrom = ConsentFrom,
            dataTo = ConsentTo,
            benefit = new { ja = "ポイント", en = "Points" },
            explanation = new { ja = "説明", en = "Explanation" },
        });
        var hanako = await ConsentHost.ResidentAsync(_host);
        var residentId = await _host.ResidentIdAsync("hanako@example.jp");
        var granted = await hanako.PostAsJsonAsync("/api/me/consents", new { dataRequestId = requestId });
        granted.StatusCode.ShouldBe(HttpStatusCode.Created, await granted.Content.ReadAsStringAsync());
        var consentId = (await Oidc.Json(granted)).GetProperty("id").GetGuid();

        await _host.PutRecordAsync(residentId, "mobility",
            """{"trip_date":"2026-03-01","transport_mode":"bus","origin_latitude":35.6581,"origin_district":"Kita","duration_minutes":17}""");
        await _host.PutRecordAsync(residentId, "mobility", """{"trip_date":"2024-05-01","transport_mode":"train"}"""); // before the consented period
        await _host.PutRecordAsync(residentId, "resident-basic", """{"full_name":"山田花子","age_band":"30-39","district":"Kita","phone":"090-0000-0000"}""");
        return new Setup(admin, recipient, hanako, residentId, consentId);
    }

    protected static Task<HttpResponseMessage> ReleaseAsync(HttpClient client, object body, string? accept = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/broker/releases") { Content = JsonContent.Create(body) };
        if (accept is not null)
        {
            request.Headers.Accept.ParseAdd(accept);
        }

        return client.SendAsync(request);
    }

    protected static object Ask(Guid consentId, object? categories = null, DateTimeOffset? dataFrom = null, string? purpose = null) =>
        new { consentId, purpose, categories = categories ?? new object[] { "mobility", "resident-basic" }, dataFrom };

    /// <summary>An unrevoked access token row of the client, written straight into the database; its <c>jti</c>.</summary>
    private async Task<string> EscapedTokenAsync(string clientId)
    {
        await using var db = _host.NewDbContext();
        var now = _host.Clock.GetUtcNow();
        var row = new IssuedAccessToken
        {
            Jti = "escaped-" + Guid.NewGuid().ToString("N"), ClientId = clientId, Subject = clientId, Audience = "http://localhost",
            Scopes = [BrokeringEndpoints.ReleaseScope], CreatedAt = now, ExpiresAt = now.AddMinutes(5),
        };
        db.Add(row);
        await db.SaveChangesAsync();
        return row.Jti;
    }

    private async Task<(int ReleaseCount, int Released, int Refused)> CountsAsync(Guid consentId)
    {
        await using var db = _host.NewDbContext();
        return (await db.Set<ConsentHead>().Where(c => c.Id == consentId).Select(c => c.ReleaseCount).SingleAsync(),
            await db.Set<AuditEntry>().CountAsync(e => e.Action == "data.released"),
            await db.Set<AuditEntry>().CountAsync(e => e.Action == "data.release_refused"));
    }

    protected static async Task ShouldBeRefusedAsync(HttpResponseMessage response, string code)
    {
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.Forbidden, body);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        var json = JsonDocument.Parse(body).RootElement;
        json.GetProperty("code").GetString().ShouldBe(code);
        json.GetProperty("type").GetString().ShouldBe(BrokerProblems.TypeBase + code);
        foreach (var value in new[] { "bus", "30-39", "2026-03-01", "山田" })
        {
            body.ShouldNotContain(value);
        }
    }

    [Fact]
    public async Task A_release_carries_only_minimised_consented_fields_with_the_pairwise_subject_and_one_audit_entry()
    {
        var s = await ArrangeAsync();

        var response = await ReleaseAsync(s.Recipient, new
        {
            consentId = s.ConsentId,
            categories = new object[] { new { category = "mobility", fields = new[] { "trip_date", "transport_mode" } }, "resident-basic" },
        });
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        response.Headers.CacheControl!.NoStore.ShouldBeTrue();
        var body = JsonDocument.Parse(text).RootElement;
        var records = body.GetProperty("records").EnumerateArray().ToList();
        records.Count.ShouldBe(2); // the 2024 trip lies outside the consented period
        records.Single(r => r.GetProperty("category").GetString() == "mobility").GetProperty("fields").GetRawText()
            .ShouldBe("""{"trip_date":"2026-03-01","transport_mode":"bus"}""");
        records.Single(r => r.GetProperty("category").GetString() == "resident-basic").GetProperty("fields").GetRawText().ShouldBe("""{"age_band":"30-39"}""");
        foreach (var never in new[] { "origin_latitude", "35.6581", "山田花子", "full_name", "090-0000-0000", "train", s.ResidentId.ToString() })
        {
            text.ShouldNotContain(never);
        }

        await using (var scope = _host.Services.CreateAsyncScope())
        await using (var db = _host.NewDbContext())
        {
            var client = await db.Set<Client>().SingleAsync(c => c.ClientId == Rcpt);
            body.GetProperty("subject").GetString().ShouldBe(await scope.ServiceProvider.GetRequiredService<PairwiseSubjects>().SubjectAsync(client, s.ResidentId, default));
        }

        var releaseId = body.GetProperty("releaseId").GetGuid();
        response.Headers.GetValues("DataTrust-Release-Id").Single().ShouldBe(releaseId.ToString("D"));
        body.GetProperty("policyVersion").GetString()!.ShouldStartWith("sha256:");
        var entry = (await _host.AuditAsync("data.released")).ShouldHaveSingleItem();
        entry.Consent.ShouldBe(s.ConsentId.ToString("D"), StringCompareShould.IgnoreCase);
        entry.Recipient.ShouldBe(Rcpt);
        entry.Objects.ShouldContain(releaseId.ToString("D"), Case.Insensitive);
        JsonDocument.Parse(entry.Details).RootElement.GetProperty("fields").GetRawText()
            .ShouldBe("""["mobility.transport_mode","mobility.trip_date","resident-basic.age_band"]""");
        (await CountsAsync(s.ConsentId)).ShouldBe((1, 1, 0));

        // Asking for a field outside the consent (and the purpose's rule) is refused outright, not silently cut.
        await ShouldBeRefusedAsync(await ReleaseAsync(s.Recipient, Ask(s.ConsentId, new object[] { new { category = "mobility", fields = new[] { "origin_latitude" } } })),
            ReleaseRefusal.CategoryNotCovered);
        (await CountsAsync(s.ConsentId)).ShouldBe((1, 1, 1));

        // NGSI-LD for a City OS broker: entities with Property attributes and the core @context.
        var ngsi = await ReleaseAsync(s.Recipient, Ask(s.ConsentId, new object[] { "mobility" }), "application/ld+json");
        var ngsiText = await ngsi.Content.ReadAsStringAsync();
        ngsi.StatusCode.ShouldBe(HttpStatusCode.OK, ngsiText);
        ngsi.Content.Headers.ContentType!.MediaType.ShouldBe("application/ld+json");
        var entity = JsonDocument.Parse(ngsiText).RootElement.EnumerateArray().ShouldHaveSingleItem();
        entity.GetProperty("id").GetString()!.ShouldStartWith("urn:ngsi-ld:Mobility:");
        entity.GetProperty("type").GetString().ShouldBe("Mobility");
        entity.GetProperty("transport_mode").GetProperty("type").GetString().ShouldBe("Property");
        entity.GetProperty("transport_mode").GetProperty("value").GetString().ShouldBe("bus");
        entity.GetProperty("trip_date").GetProperty("observedAt").GetString().ShouldBe("2026-03-01T00:00:00Z");
        entity.GetProperty("@context")[0].GetString().ShouldBe(ReleaseWriter.NgsiLdCoreContext);
        ngsiText.ShouldNotContain("origin_latitude");
        (await CountsAsync(s.ConsentId)).ShouldBe((2, 2, 1));
    }

    [Fact]
    public async Task Every_refusal_names_its_reason_releases_nothing_and_is_audited()
    {
        var s = await ArrangeAsync();
        await _host.RecipientAsync(s.Admin, "rcpt-other");
        var other = await _host.TokenClientAsync("rcpt-other");

        // Bad input: a clear 400, nothing changed.
        var before = await CountsAsync(s.ConsentId);
        foreach (var bad in new object[] { new { consentId = s.ConsentId }, new { consentId = "nope", categories = new[] { "mobility" } }, new { consentId = s.ConsentId, categories = new[] { "mobility" }, extra = 1 } })
        {
            var response = await ReleaseAsync(s.Recipient, bad);
            response.StatusCode.ShouldBe(HttpStatusCode.BadRequest, await response.Content.ReadAsStringAsync());
            (await Oidc.Json(response)).GetProperty("code").GetString().ShouldBe("invalid_body");
        }

        (await ReleaseAsync(s.Recipient, Ask(s.ConsentId), "text/csv")).StatusCode.ShouldBe(HttpStatusCode.NotAcceptable);
        (await CountsAsync(s.ConsentId)).ShouldBe(before);

        // A random id and another recipient's consent get the same answer: nothing tells whether a resident exists.
        var random = await ReleaseAsync(s.Recipient, Ask(Guid.NewGuid()));
        var foreign = await ReleaseAsync(other, Ask(s.ConsentId));
        await ShouldBeRefusedAsync(random, ReleaseRefusal.NoConsent);
        await ShouldBeRefusedAsync(foreign, ReleaseRefusal.NoConsent);
        static string WithoutTrace(string json) => JsonSerializer.Serialize(JsonDocument.Parse(json).RootElement.EnumerateObject().Where(p => p.Name != "traceId").ToDictionary(p => p.Name, p => p.Value));
        WithoutTrace(await random.Content.ReadAsStringAsync()).ShouldBe(WithoutTrace(await foreign.Content.ReadAsStringAsync()));
        (await CountsAsync(s.ConsentId)).ShouldBe((0, 0, 1)); // the probe of a real consent is recorded against its resident; a random id names nobody

        await ShouldBeRefusedAsync(await ReleaseAsync(s.Recipient, Ask(s.ConsentId, new object[] { "health-checkup" })), ReleaseRefusal.CategoryNotCovered);
        await ShouldBeRefusedAsync(await ReleaseAsync(s.Recipient, Ask(s.ConsentId, purpose: "health-promotion")), ReleaseRefusal.PurposeMismatch);
        await ShouldBeRefusedAsync(await ReleaseAsync(s.Recipient, Ask(s.ConsentId, dataFrom: new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero))), ReleaseRefusal.OutsideRange);
        (await CountsAsync(s.ConsentId)).ShouldBe((0, 0, 4));

        (await s.Hanako.PostAsync($"/api/me/consents/{s.ConsentId}/pause", null)).StatusCode.ShouldBe(HttpStatusCode.OK);
        await ShouldBeRefusedAsync(await ReleaseAsync(s.Recipient, Ask(s.ConsentId)), ReleaseRefusal.Paused);
        (await s.Hanako.PostAsync($"/api/me/consents/{s.ConsentId}/resume", null)).StatusCode.ShouldBe(HttpStatusCode.OK);

        for (var i = 0; i < 3; i++)
        {
            (await ReleaseAsync(s.Recipient, Ask(s.ConsentId))).StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        await ShouldBeRefusedAsync(await ReleaseAsync(s.Recipient, Ask(s.ConsentId)), ReleaseRefusal.FrequencyExceeded);
        (await CountsAsync(s.ConsentId)).ShouldBe((3, 3, 6));

        // The operator suspends the recipient: its tokens stop, and a decision made anyway is refused.
        (await s.Admin.PostAsJsonAsync($"/api/admin/recipients/{Rcpt}/suspend", new { reasons = new[] { "test" } })).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await ReleaseAsync(s.Recipient, Ask(s.ConsentId))).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        var escaped = await EscapedTokenAsync(Rcpt); // a live token row, as if the suspension had missed one
        var suspended = await _host.InScopeAsync(async sp => await sp.GetRequiredService<ReleaseBroker>().ReleaseAsync(
            await sp.GetRequiredService<DataTrustDbContext>().Set<Client>().AsNoTracking().SingleAsync(c => c.ClientId == Rcpt), escaped, null,
            new ReleaseRequest(s.ConsentId, null, [new AskedCategory("mobility", null)], null, null), ReleaseFormat.Json, default));
        suspended.Refusal.ShouldBe(ReleaseRefusal.RecipientSuspended);
        suspended.Body.ShouldBeNull();
        (await s.Admin.PostAsJsonAsync($"/api/admin/recipients/{Rcpt}/reinstate", new { reasons = new[] { "test" } })).StatusCode.ShouldBe(HttpStatusCode.OK);
        var recipient = await _host.TokenClientAsync(Rcpt);

        _host.Clock.Advance(TimeSpan.FromDays(40)); // a new frequency period
        recipient = await _host.TokenClientAsync(Rcpt);
        (await ReleaseAsync(recipient, Ask(s.ConsentId))).StatusCode.ShouldBe(HttpStatusCode.OK);
        _host.Clock.Advance(TimeSpan.FromDays(200)); // past the six months
        recipient = await _host.TokenClientAsync(Rcpt);
        await ShouldBeRefusedAsync(await ReleaseAsync(recipient, Ask(s.ConsentId)), ReleaseRefusal.Expired);

        (await CountsAsync(s.ConsentId)).ShouldBe((4, 4, 8));
    }

    [Fact]
    public async Task A_token_revoked_or_of_a_disabled_client_is_refused_at_its_next_release_though_it_was_just_used()
    {
        var s = await ArrangeAsync();
        var token = s.Recipient.DefaultRequestHeaders.Authorization!.Parameter!;
        (await ReleaseAsync(s.Recipient, Ask(s.ConsentId))).StatusCode.ShouldBe(HttpStatusCode.OK); // its row is now remembered as live
        var revoke = await s.Recipient.SendAsync(Oidc.TokenRequest(new() { ["token"] = token }, Rcpt, BrokerHost.Secret, "/connect/revoke"));
        revoke.StatusCode.ShouldBe(HttpStatusCode.OK);

        var afterRevoke = await ReleaseAsync(s.Recipient, Ask(s.ConsentId));
        afterRevoke.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        afterRevoke.Headers.WwwAuthenticate.ToString().ShouldContain("error=\"invalid_token\"");
        afterRevoke.Headers.CacheControl!.NoStore.ShouldBeTrue();
        (await Oidc.Json(afterRevoke)).GetProperty("type").GetString()!.ShouldEndWith("invalid_token");
        (await CountsAsync(s.ConsentId)).ShouldBe((1, 1, 0)); // nothing counted, released or refused-and-audited

        var fresh = await _host.TokenClientAsync(Rcpt);
        (await ReleaseAsync(fresh, Ask(s.ConsentId))).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await s.Admin.PostAsync($"/api/admin/clients/{Rcpt}/disable", null)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        var afterDisable = await ReleaseAsync(fresh, Ask(s.ConsentId));
        afterDisable.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await afterDisable.Content.ReadAsStringAsync()).ShouldNotContain("trip_date");
        (await CountsAsync(s.ConsentId)).ShouldBe((2, 2, 0));
    }

    [Fact]
    public async Task Revoked_and_one_time_consents_are_refused_and_a_failed_audit_write_releases_nothing()
    {
        var s = await ArrangeAsync(accessMode: "one-time");

        _host.FailReleases = true;
        var failed = await ReleaseAsync(s.Recipient, Ask(s.ConsentId));
        var failedText = await failed.Content.ReadAsStringAsync();
        failed.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable, failedText);
        (await Oidc.Json(failed)).GetProperty("code").GetString().ShouldBe("not_committed");
        failedText.ShouldNotContain("bus");
        failedText.ShouldNotContain("30-39");
        (await CountsAsync(s.ConsentId)).ShouldBe((0, 0, 0)); // the use was not counted either
        _host.FailReleases = false;

        (await ReleaseAsync(s.Recipient, Ask(s.ConsentId))).StatusCode.ShouldBe(HttpStatusCode.OK);
        await ShouldBeRefusedAsync(await ReleaseAsync(s.Recipient, Ask(s.ConsentId)), ReleaseRefusal.OneTimeSpent);
        (await s.Hanako.PostAsync($"/api/me/consents/{s.ConsentId}/revoke", null)).StatusCode.ShouldBe(HttpStatusCode.OK);
        await ShouldBeRefusedAsync(await ReleaseAsync(s.Recipient, Ask(s.ConsentId)), ReleaseRefusal.Revoked);
        (await CountsAsync(s.ConsentId)).ShouldBe((1, 1, 2));
    }

    [Fact]
    public async Task Statistics_count_only_consenting_residents_and_suppress_small_cells()
    {
        // The shipped policy suppresses cells under 10; a copy with 2 keeps the arrangement small.
        var policies = Directory.CreateTempSubdirectory("dt-policies-");
        foreach (var file in Directory.GetFiles(RepositoryPaths.Policies))
        {
            File.Copy(file, Path.Combine(policies.FullName, Path.GetFileName(file)));
        }

        var settings = Path.Combine(policies.FullName, "policy.yaml");
        File.WriteAllText(settings, File.ReadAllText(settings).Replace("minimum_group_size: 10", "minimum_group_size: 2", StringComparison.Ordinal));
        try
        {
            using var host = new BrokerHost(Host.Provider, new Dictionary<string, string?> { ["DataTrust:PoliciesDirectory"] = policies.FullName });
            var admin = await ConsentHost.OperatorAsync(host);
            await host.RecipientAsync(admin, "city-os", ClientKind.CityOsService);
            await host.RecipientAsync(admin, "shop");
            var city = await host.TokenClientAsync("city-os");
            var requestId = await ConsentHost.PublishAsync(city, admin, new
            {
                purposeId = "city-statistics",
                categories = new[] { new { category = "household", fields = new[] { "household_size" } }, new { category = "resident-basic", fields = new[] { "district" } } },
                duration = "P1Y",
                accessMode = "periodic",
                maxReleasesPerPeriod = 10,
                frequencyPeriod = "P1M",
                benefit = new { ja = "まちづくり", en = "Planning" },
                explanation = new { ja = "説明", en = "Explanation" },
            });
            var residents = new List<Guid> { await host.ResidentIdAsync("hanako@example.jp"), await host.ResidentIdAsync("taro@example.jp") };
            await host.InScopeAsync(async sp =>
            {
                var users = sp.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<DataTrust.Accounts.UserAccount>>();
                foreach (var name in new[] { "jiro", "saburo" })
                {
                    var user = new DataTrust.Accounts.UserAccount { UserName = name + "@example.jp", Email = name + "@example.jp", DisplayName = name, CreatedAt = DateTimeOffset.UtcNow };
                    (await users.CreateAsync(user)).Succeeded.ShouldBeTrue();
                    residents.Add(user.Id);
                }

                return 0;
            });
            var data = new[] { ("Kita", 3), ("Kita", 1), ("Minami", 4), ("Kita", 10) };
            for (var i = 0; i < residents.Count; i++)
            {
                await host.PutRecordAsync(residents[i], "resident-basic", $$"""{"district":"{{data[i].Item1}}","full_name":"Resident {{i}}"}""");
                await host.PutRecordAsync(residents[i], "household", $$"""{"household_size":{{data[i].Item2}}}""");
                if (i < 3) // saburo gives no consent: his household never counts
                {
                    await host.InScopeAsync(sp => sp.GetRequiredService<ConsentLedger>().GrantAsync(residents[i], requestId, null, null, default));
                }
            }

            var query = new { category = "household", field = "household_size", groupBy = "district" };
            var response = await city.PostAsJsonAsync("/api/broker/statistics", query);
            var text = await response.Content.ReadAsStringAsync();
            response.StatusCode.ShouldBe(HttpStatusCode.OK, text);
            var cells = JsonDocument.Parse(text).RootElement.GetProperty("cells").EnumerateArray().ToList();
            cells.Count.ShouldBe(2);
            cells[0].GetProperty("group").GetString().ShouldBe("Kita");
            cells[0].GetProperty("count").GetInt32().ShouldBe(2);
            cells[0].GetProperty("sum").GetDecimal().ShouldBe(4m);
            cells[0].GetProperty("mean").GetDecimal().ShouldBe(2m);
            cells[1].GetProperty("group").GetString().ShouldBe("Minami");
            cells[1].GetProperty("suppressed").GetBoolean().ShouldBeTrue();
            cells[1].GetProperty("count").ValueKind.ShouldBe(JsonValueKind.Null); // suppressed, not 0
            text.ShouldNotContain("Resident");
            var entry = (await host.AuditAsync(StatisticsReleased.ActionName)).ShouldHaveSingleItem();
            entry.Subject.ShouldBeNull();
            JsonDocument.Parse(entry.Details).RootElement.GetProperty("suppressedCells").GetInt32().ShouldBe(1);

            // Not a City OS service, a non-numeric field, an unknown grouping, a bad body: clear errors, nothing recorded.
            var shop = await host.TokenClientAsync("shop");
            (await shop.PostAsJsonAsync("/api/broker/statistics", query)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
            foreach (var bad in new object[] { new { category = "household", field = "housing_type", groupBy = "district" }, new { category = "household", field = "household_size", groupBy = "full_name" }, new { category = 1 } })
            {
                var refused = await city.PostAsJsonAsync("/api/broker/statistics", bad);
                refused.StatusCode.ShouldBe(HttpStatusCode.BadRequest, await refused.Content.ReadAsStringAsync());
            }

            (await host.AuditAsync(StatisticsReleased.ActionName)).Count.ShouldBe(1);
        }
        finally
        {
            policies.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Concurrent_releases_decided_together_count_every_use_against_the_frequency_limit()
    {
        var s = await ArrangeAsync(); // at most 3 releases a month
        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => ReleaseAsync(s.Recipient, Ask(s.ConsentId))));

        responses.Count(r => r.StatusCode == HttpStatusCode.OK).ShouldBe(3);
        foreach (var refusal in responses.Where(r => r.StatusCode != HttpStatusCode.OK))
        {
            await ShouldBeRefusedAsync(refusal, ReleaseRefusal.FrequencyExceeded);
        }

        (await CountsAsync(s.ConsentId)).ShouldBe((3, 3, 5));
    }

    [Fact]
    public async Task A_release_whose_records_cannot_be_decrypted_fails_alone_counts_nothing_and_is_audited_as_failed()
    {
        var s = await ArrangeAsync(); // at most 3 releases a month
        await using (var db = _host.NewDbContext())
        {
            var record = await db.Set<VaultRecord>().SingleAsync(r => r.ResidentId == s.ResidentId && r.CategoryId == "resident-basic");
            var tampered = record.Ciphertext.ToArray();
            tampered[0] ^= 0x01; // changed at rest: the record no longer authenticates
            record.Ciphertext = tampered;
            await db.SaveChangesAsync();
        }

        var mobility = Ask(s.ConsentId, new object[] { "mobility" });
        var responses = await Task.WhenAll(ReleaseAsync(s.Recipient, Ask(s.ConsentId)), ReleaseAsync(s.Recipient, mobility), ReleaseAsync(s.Recipient, mobility));

        var broken = responses[0];
        var brokenText = await broken.Content.ReadAsStringAsync();
        broken.StatusCode.ShouldBe(HttpStatusCode.InternalServerError, brokenText);
        broken.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        brokenText.ShouldNotContain("bus");
        foreach (var healthy in responses[1..])
        {
            var text = await healthy.Content.ReadAsStringAsync();
            healthy.StatusCode.ShouldBe(HttpStatusCode.OK, text);
            text.ShouldContain("\"transport_mode\":\"bus\"");
        }

        (await CountsAsync(s.ConsentId)).ShouldBe((2, 2, 0)); // the failed release used none of the three
        await using (var db = _host.NewDbContext())
        {
            var failed = await db.Set<AuditEntry>().Where(e => e.Action == "data.release_failed").ToListAsync();
            failed.Count.ShouldBe(1);
            failed[0].Consent.ShouldBe(s.ConsentId.ToString("D"));
            failed[0].Recipient.ShouldBe(Rcpt);
            failed[0].Details.ShouldBe("""{"purpose":"mobility-improvement","reason":"vault_record_unreadable"}""");
        }

        (await ReleaseAsync(s.Recipient, mobility)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await CountsAsync(s.ConsentId)).ShouldBe((3, 3, 0));
    }

    [Fact]
    public async Task An_encrypted_release_decrypts_with_npm_jose()
    {
        var s = await ArrangeAsync();
        var response = await ReleaseAsync(s.Recipient, Ask(s.ConsentId, new object[] { "mobility" }), "application/jose");
        var jwe = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, jwe);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/jose");
        jwe.Split('.').Length.ShouldBe(5);
        jwe.ShouldNotContain("\"bus\""); // quotes never occur in base64url, so this cannot match by chance

        var (exit, stdout) = await JoseScripts.RunAsync("jwe-decrypt.mjs", BrokerHost.PrivateJwk(), jwe);
        exit.ShouldBe(0, stdout);
        var decrypted = JsonDocument.Parse(stdout).RootElement;
        decrypted.GetProperty("header").GetProperty("alg").GetString().ShouldBe("ECDH-ES");
        decrypted.GetProperty("header").GetProperty("enc").GetString().ShouldBe("A256GCM");
        decrypted.GetProperty("payload").GetProperty("records")[0].GetProperty("fields").GetRawText().ShouldBe("""{"trip_date":"2026-03-01","transport_mode":"bus"}""");
        decrypted.GetProperty("payload").GetProperty("releaseId").GetString().ShouldBe(response.Headers.GetValues("DataTrust-Release-Id").Single());
    }
}

public sealed class SqliteBrokeringTests() : BrokeringTests(StorageProvider.Sqlite);

public sealed class PostgresBrokeringTests() : BrokeringTests(StorageProvider.Postgres)
{
    /// <summary>Promise 2 across nodes: two service instances on one PostgreSQL database; revoke on A, release on B is refused.</summary>
    [Fact]
    public async Task A_revoke_through_one_instance_stops_releases_through_another()
    {
        var s = await ArrangeAsync();
        using var other = new BrokerHost(StorageProvider.Postgres, Host.SharedSettings());
        var recipientAtB = await other.TokenClientAsync("rcpt-broker");
        (await ReleaseAsync(recipientAtB, Ask(s.ConsentId))).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await ReleaseAsync(s.Recipient, Ask(s.ConsentId))).StatusCode.ShouldBe(HttpStatusCode.OK); // A's token works at B's peer too

        (await s.Hanako.PostAsync($"/api/me/consents/{s.ConsentId}/revoke", null)).StatusCode.ShouldBe(HttpStatusCode.OK);
        await ShouldBeRefusedAsync(await ReleaseAsync(recipientAtB, Ask(s.ConsentId)), ReleaseRefusal.Revoked);

        await using var db = other.NewDbContext();
        (await db.Set<ConsentHead>().Where(c => c.Id == s.ConsentId).Select(c => c.ReleaseCount).SingleAsync()).ShouldBe(2);
        var entries = await db.Set<AuditEntry>().Where(e => e.Action == "data.released" || e.Action == "consent.revoked" || e.Action == "data.release_refused")
            .OrderBy(e => e.Seq).Select(e => e.Action).ToListAsync();
        entries.TakeLast(4).ShouldBe(["data.released", "data.released", "consent.revoked", "data.release_refused"]);
    }
}
