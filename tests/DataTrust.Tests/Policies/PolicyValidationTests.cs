using DataTrust.Common;
using DataTrust.Policies.Loading;

namespace DataTrust.Tests.Policies;

/// <summary>
/// An operator who breaks the policy is told which file, which line and what is wrong, for every
/// problem at once, and the broken policy is never used.
/// </summary>
public sealed class PolicyValidationTests : IDisposable
{
    private const string Purposes = "purposes.yaml";
    private const string Categories = "categories.yaml";
    private const string Minimisation = "minimisation.yaml";
    private const string Settings = "policy.yaml";
    private const string Criteria = "recipient-criteria.yaml";

    private readonly TestPolicyDirectory _policy = new();

    public void Dispose() => _policy.Dispose();

    [Fact]
    public void The_test_policy_is_valid_before_it_is_broken()
    {
        var result = _policy.Read();

        result.Errors.ShouldBeEmpty();
        result.Policy.ShouldNotBeNull().Purposes.Select(p => p.Id).ShouldBe(["wellbeing", "shop-offers"]);
    }

    [Fact]
    public void An_unknown_key_is_reported_on_its_line()
    {
        _policy.Replace(Purposes, "    title:", "    titel:");

        var result = _policy.Read();

        result.Policy.ShouldBeNull();
        _policy.ProblemsAt(result, Purposes, _policy.LineOf(Purposes, "titel:"))
            .ShouldContain(p => p.Contains("unknown key 'titel'") && p.Contains("purpose 'wellbeing'"));
    }

    [Theory]
    [InlineData(Settings, "schema_version: 1\n", "schema_version")]
    [InlineData(Purposes, "    max_consent_duration: P1Y\n", "max_consent_duration")]
    [InlineData(Categories, "    retention: P5Y\n", "retention")]
    [InlineData(Criteria, "    applies_to: all\n", "applies_to")]
    public void A_missing_required_key_is_reported_where_its_mapping_starts(string file, string removedLine, string key)
    {
        var owner = file == Settings ? 1 : _policy.LineOf(file, "  - id:");
        _policy.Replace(file, removedLine, string.Empty);

        var result = _policy.Read();

        result.Policy.ShouldBeNull();
        _policy.ProblemsAt(result, file, owner).ShouldContain(p => p.Contains($"missing the required key '{key}'"));
    }

    [Theory]
    [InlineData(Settings, "minimum_group_size: 10", "minimum_group_size: ten", "must be a whole number")]
    [InlineData(Settings, "minimum_group_size: 10", "minimum_group_size: \"10\"", "must be a whole number")]
    [InlineData(Purposes, "sensitive_data_allowed: true", "sensitive_data_allowed: yes", "must be true or false")]
    [InlineData(Purposes, "    dpv:\n      - https://w3id.org/dpv#ImproveHealthcare", "    dpv: https://w3id.org/dpv#ImproveHealthcare", "must be a list")]
    [InlineData(Purposes, "    title:\n      ja: 健康づくりのお手伝い\n      en: Health advice", "    title: Health advice", "must be a mapping")]
    [InlineData(Categories, "type: decimal", "type: number", "must be one of: string, integer, decimal, boolean, date, datetime, enum")]
    [InlineData(Categories, "sensitivity: special-care", "sensitivity: sensitive", "must be one of: normal, special-care")]
    [InlineData(Criteria, "applies_to: all", "applies_to: everyone", "must be one of: all, special-care")]
    [InlineData(Minimisation, "fields: [checkup_date, bmi]", "fields: checkup_date", "must be a list")]
    public void A_value_of_the_wrong_type_is_reported_on_its_line(string file, string valid, string invalid, string problem)
    {
        _policy.Replace(file, valid, invalid);
        var line = _policy.LineOf(file, invalid.Split('\n')[0].Trim());

        var result = _policy.Read();

        result.Policy.ShouldBeNull();
        _policy.ProblemsAt(result, file, line).ShouldContain(p => p.Contains(problem));
    }

    [Fact]
    public void An_unsupported_schema_version_is_refused()
    {
        _policy.Replace(Settings, "schema_version: 1", "schema_version: 2");

        var result = _policy.Read();

        _policy.ProblemsAt(result, Settings, 1).ShouldContain(p => p.Contains("schema_version 2 is not supported"));
    }

    [Fact]
    public void A_minimum_group_size_that_singles_out_a_resident_is_refused()
    {
        _policy.Replace(Settings, "minimum_group_size: 10", "minimum_group_size: 1");

        var result = _policy.Read();

        _policy.ProblemsAt(result, Settings, _policy.LineOf(Settings, "minimum_group_size")).ShouldContain(p => p.Contains("at least 2"));
    }

    [Theory]
    [InlineData(Purposes, "  - id: shop-offers", "  - id: wellbeing", "duplicate purpose id 'wellbeing'")]
    [InlineData(Categories, "  - id: checkup", "  - id: profile", "duplicate category id 'profile'")]
    [InlineData(Categories, "      - id: age_band", "      - id: district", "duplicate field id 'district' in category 'profile'")]
    [InlineData(Criteria, "  - id: special-care-handling", "  - id: privacy-certification", "duplicate criterion id 'privacy-certification'")]
    [InlineData(Minimisation, "  - purpose: shop-offers", "  - purpose: wellbeing", "duplicate rule for purpose 'wellbeing'")]
    public void A_duplicate_id_is_reported_on_the_second_occurrence_with_the_line_of_the_first(string file, string original, string duplicate, string problem)
    {
        var marker = duplicate.Trim();
        var first = _policy.LineOf(file, marker);
        _policy.Replace(file, original, duplicate);
        var second = _policy.LineOf(file, marker, afterLine: first);

        var result = _policy.Read();

        result.Policy.ShouldBeNull();
        _policy.ProblemsAt(result, file, second).ShouldContain($"{problem} (first defined on line {first})");
    }

    [Theory]
    [InlineData(Categories, "values: [under-40, 40-plus]", "values: [under-40, under-40]", "duplicate value 'under-40' in field 'age_band' in category 'profile'")]
    [InlineData(Minimisation, "fields: [district, age_band]", "fields: [district, district]", "duplicate field 'district' in category 'profile' in minimisation rule 'shop-offers'")]
    public void A_value_listed_twice_is_reported_on_its_line(string file, string original, string duplicate, string problem)
    {
        _policy.Replace(file, original, duplicate);

        var result = _policy.Read();

        result.Policy.ShouldBeNull();
        _policy.ProblemsAt(result, file, _policy.LineOf(file, duplicate)).ShouldContain(p => p.StartsWith(problem, StringComparison.Ordinal));
    }

    [Fact]
    public void A_DPV_purpose_listed_twice_is_reported_on_the_second()
    {
        const string Iri = "https://w3id.org/dpv#DirectMarketing";
        _policy.Replace(Purposes, Iri, $"{Iri}\n      - {Iri}");

        var result = _policy.Read();

        _policy.ProblemsAt(result, Purposes, _policy.LineOf(Purposes, Iri) + 1)
            .ShouldContain(p => p.StartsWith($"duplicate DPV purpose '{Iri}' in purpose 'shop-offers'", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("  - purpose: shop-offers", "  - purpose: shop-ofers", "names purpose 'shop-ofers', which purposes.yaml does not define")]
    [InlineData("      - category: profile\n        fields: [district", "      - category: profiles\n        fields: [district", "names category 'profiles', which categories.yaml does not define")]
    [InlineData("fields: [district, age_band]", "fields: [district, age_group]", "names field 'age_group', which category 'profile' does not have")]
    public void A_rule_naming_something_the_catalogue_lacks_is_reported_on_its_line(string original, string dangling, string problem)
    {
        _policy.Replace(Minimisation, original, dangling);
        var line = _policy.LineOf(Minimisation, dangling.Split('\n')[0].Trim());

        var result = _policy.Read();

        result.Policy.ShouldBeNull();
        _policy.ProblemsAt(result, Minimisation, line).ShouldContain(p => p.Contains(problem));
    }

    [Fact]
    public void Special_care_data_for_a_purpose_not_allowed_sensitive_data_is_refused()
    {
        _policy.Replace(Minimisation, "        fields: [district, age_band]", "        fields: [district, age_band]\n      - category: checkup\n        fields: [bmi]");
        var line = _policy.LineOf(Minimisation, "category: checkup", afterLine: _policy.LineOf(Minimisation, "purpose: shop-offers"));

        var result = _policy.Read();

        result.Policy.ShouldBeNull();
        var problem = _policy.ProblemsAt(result, Minimisation, line).ShouldHaveSingleItem();
        problem.ShouldContain("purpose 'shop-offers' may not use special-care personal information (要配慮個人情報)");
        problem.ShouldContain("category 'checkup'");
    }

    [Fact]
    public void Special_care_data_is_accepted_once_the_purpose_allows_sensitive_data()
    {
        _policy.Replace(Minimisation, "        fields: [district, age_band]", "        fields: [district, age_band]\n      - category: checkup\n        fields: [bmi]");
        _policy.Replace(Purposes, "sensitive_data_allowed: false", "sensitive_data_allowed: true");

        var result = _policy.Read();

        result.Errors.ShouldBeEmpty();
        result.Policy.ShouldNotBeNull().AllowedFields("shop-offers", "checkup").ShouldBe(["bmi"]);
    }

    [Fact]
    public void A_purpose_without_a_minimisation_rule_is_reported_where_the_purpose_is_defined()
    {
        _policy.Replace(Minimisation, "  - purpose: shop-offers\n    allow:\n      - category: profile\n        fields: [district, age_band]\n", string.Empty);

        var result = _policy.Read();

        _policy.ProblemsAt(result, Purposes, _policy.LineOf(Purposes, "- id: shop-offers"))
            .ShouldContain(p => p.Contains("purpose 'shop-offers' has no rule in minimisation.yaml"));
    }

    [Theory]
    [InlineData(Purposes, "max_consent_duration: P1Y", "max_consent_duration: 1 year")]
    [InlineData(Purposes, "max_consent_duration: P1Y", "max_consent_duration: P0D")]
    [InlineData(Purposes, "max_consent_duration: P1Y", "max_consent_duration: PT12H")]
    [InlineData(Purposes, "max_consent_duration: P1Y", "max_consent_duration: P1.5Y")]
    [InlineData(Purposes, "max_consent_duration: P1Y", "max_consent_duration: P")]
    [InlineData(Categories, "retention: P5Y", "retention: 5 years")]
    [InlineData(Categories, "retention: P5Y", "retention: -P5Y")]
    public void An_invalid_duration_is_reported_on_its_line(string file, string valid, string invalid)
    {
        _policy.Replace(file, valid, invalid);

        var result = _policy.Read();

        result.Policy.ShouldBeNull();
        _policy.ProblemsAt(result, file, _policy.LineOf(file, invalid))
            .ShouldContain(p => p.Contains("not an ISO 8601 duration such as P90D, P6M or P1Y"));
    }

    [Theory]
    [InlineData(Purposes, "      ja: 健康づくりのお手伝い", "      ja: \"\"", "the Japanese text (ja) of 'title' of purpose 'wellbeing' is empty")]
    [InlineData(Purposes, "      en: Advice based on your check-up results.", "      en: \"   \"", "the English text (en) of 'description' of purpose 'wellbeing' is empty")]
    [InlineData(Purposes, "      en: Health advice", "      en:", "the English text (en) of 'title' of purpose 'wellbeing' is empty")]
    [InlineData(Criteria, "      ja: プライバシーマークの認証を受けていること。", "      ja: ~", "the Japanese text (ja) of 'text' of criterion 'privacy-certification' is empty")]
    [InlineData(Categories, "name: { ja: 地区, en: District }", "name: { ja: \"\", en: District }", "the Japanese text (ja) of 'name' of field 'district' in category 'profile' is empty")]
    public void Empty_text_in_either_language_is_reported_on_its_line(string file, string valid, string empty, string problem)
    {
        _policy.Replace(file, valid, empty);

        var result = _policy.Read();

        result.Policy.ShouldBeNull();
        _policy.ProblemsAt(result, file, _policy.LineOf(file, empty.Trim())).ShouldContain(problem);
    }

    [Fact]
    public void Text_missing_one_language_is_reported()
    {
        _policy.Replace(Purposes, "      en: Health advice\n", string.Empty);

        var result = _policy.Read();

        _policy.ProblemsAt(result, Purposes, _policy.LineOf(Purposes, "ja: 健康づくりのお手伝い"))
            .ShouldContain(p => p.Contains("'title' of purpose 'wellbeing' is missing the required key 'en'"));
    }

    [Fact]
    public void A_purpose_mapped_to_a_term_that_is_not_a_DPV_purpose_is_reported()
    {
        _policy.Replace(Purposes, "https://w3id.org/dpv#DirectMarketing", "https://w3id.org/dpv#DirectMarketting");

        var result = _policy.Read();

        _policy.ProblemsAt(result, Purposes, _policy.LineOf(Purposes, "DirectMarketting"))
            .ShouldContain(p => p.Contains("is not a purpose of the W3C Data Privacy Vocabulary"));
    }

    [Fact]
    public void A_YAML_syntax_error_is_reported_on_the_line_the_parser_gives()
    {
        _policy.Replace(Settings, "version_label: test policy", "version_label: test: policy");

        var result = _policy.Read();

        result.Policy.ShouldBeNull();
        var problem = _policy.ProblemsAt(result, Settings, _policy.LineOf(Settings, "version_label:")).ShouldHaveSingleItem();
        problem.ShouldStartWith("YAML syntax error: ");
        problem.ShouldNotContain("Idx:"); // the parser's own position prefix is replaced by file:line
    }

    [Fact]
    public void A_duplicate_YAML_key_is_reported_on_the_repeated_key()
    {
        _policy.Replace(Purposes, "    max_consent_duration: P90D", "    max_consent_duration: P90D\n    max_consent_duration: P1Y");
        var line = _policy.LineOf(Purposes, "max_consent_duration: P1Y", afterLine: _policy.LineOf(Purposes, "P90D"));

        var result = _policy.Read();

        _policy.ProblemsAt(result, Purposes, line).ShouldContain(p => p.Contains("Duplicate key", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void Every_problem_in_every_file_is_reported_in_one_pass()
    {
        _policy.Replace(Purposes, "    title:", "    titel:");
        _policy.Replace(Purposes, "max_consent_duration: P90D", "max_consent_duration: 90 days");
        _policy.Replace(Categories, "type: decimal", "type: float");
        _policy.Replace(Minimisation, "fields: [district, age_band]", "fields: [district, age]");
        _policy.Replace(Settings, "minimum_group_size: 10", "minimum_group_size: many");

        var result = _policy.Read();

        result.Policy.ShouldBeNull();
        _policy.ProblemsAt(result, Purposes, _policy.LineOf(Purposes, "titel:")).ShouldNotBeEmpty();
        _policy.ProblemsAt(result, Purposes, _policy.LineOf(Purposes, "90 days")).ShouldNotBeEmpty();
        _policy.ProblemsAt(result, Categories, _policy.LineOf(Categories, "type: float")).ShouldNotBeEmpty();
        _policy.ProblemsAt(result, Minimisation, _policy.LineOf(Minimisation, "fields: [district, age]")).ShouldNotBeEmpty();
        _policy.ProblemsAt(result, Settings, _policy.LineOf(Settings, "minimum_group_size")).ShouldNotBeEmpty();
        result.Errors.Select(e => (e.File, e.Line ?? 0)).ShouldBeInOrder(SortDirection.Ascending, Comparer<(string, long)>.Default);
    }

    [Fact]
    public void A_missing_file_and_a_stray_file_are_reported()
    {
        File.Delete(_policy.FilePath(Criteria));
        File.WriteAllText(_policy.FilePath("purpose.yaml"), "purposes: []\n");

        var result = _policy.Read();

        _policy.ProblemsAt(result, Criteria, null).ShouldContain(p => p.Contains("the file is missing"));
        _policy.ProblemsAt(result, "purpose.yaml", null).ShouldContain(p => p.Contains("not a policy file"));
    }

    [Fact]
    public void A_file_that_is_not_UTF8_is_reported()
    {
        File.WriteAllBytes(_policy.FilePath(Criteria), [0x63, 0x72, 0x69, 0xff, 0xfe, 0x0a]);

        var result = _policy.Read();

        _policy.ProblemsAt(result, Criteria, null).ShouldContain(p => p.Contains("not UTF-8"));
    }

    [Fact]
    public void Loading_an_invalid_policy_throws_a_startup_exception_listing_file_line_and_problem_one_per_line()
    {
        _policy.Replace(Purposes, "    title:", "    titel:");
        _policy.Replace(Categories, "retention: P5Y", "retention: forever");

        var exception = Should.Throw<StartupException>(() => PolicyLoader.Load(_policy.Path));

        var lines = exception.Message.Split('\n');
        lines[0].ShouldContain(_policy.Path);
        lines.ShouldContain(l => l.StartsWith($"{_policy.FilePath(Purposes)}:{_policy.LineOf(Purposes, "titel:")}: unknown key 'titel'", StringComparison.Ordinal));
        lines.ShouldContain(l => l.StartsWith($"{_policy.FilePath(Categories)}:{_policy.LineOf(Categories, "retention: forever")}: 'retention' of category 'profile'", StringComparison.Ordinal));
    }
}
