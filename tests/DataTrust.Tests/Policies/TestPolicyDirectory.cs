using DataTrust.Policies.Loading;

namespace DataTrust.Tests.Policies;

/// <summary>
/// A small, valid policy in a temp directory that a test breaks on purpose. Expected lines are found
/// in the text the test wrote (<see cref="LineOf"/>), never typed in by hand.
/// </summary>
internal sealed class TestPolicyDirectory : IDisposable
{
    public const string PolicyYaml = """
        schema_version: 1
        version_label: test policy
        statistics:
          minimum_group_size: 10
        """;

    public const string PurposesYaml = """
        purposes:
          - id: wellbeing
            title:
              ja: 健康づくりのお手伝い
              en: Health advice
            description:
              ja: 健康診断の結果にあわせてアドバイスをお届けします。
              en: Advice based on your check-up results.
            dpv:
              - https://w3id.org/dpv#ImproveHealthcare
            max_consent_duration: P1Y
            sensitive_data_allowed: true
          - id: shop-offers
            title:
              ja: お店からのお知らせ
              en: Offers from shops
            description:
              ja: お住まいの地区に合わせてクーポンをお送りします。
              en: Coupons chosen for your district.
            dpv:
              - https://w3id.org/dpv#DirectMarketing
            max_consent_duration: P90D
            sensitive_data_allowed: false
        """;

    public const string CategoriesYaml = """
        categories:
          - id: profile
            name: { ja: 基本情報, en: Profile }
            description: { ja: 地区と年代です。, en: District and age group. }
            sensitivity: normal
            retention: P5Y
            fields:
              - id: district
                name: { ja: 地区, en: District }
                type: string
              - id: age_band
                name: { ja: 年代, en: Age group }
                type: enum
                values: [under-40, 40-plus]
          - id: checkup
            name: { ja: 健康診断の結果, en: Check-up results }
            description: { ja: 健診の結果です。, en: Check-up results. }
            sensitivity: special-care
            retention: P5Y
            fields:
              - id: checkup_date
                name: { ja: 受診日, en: Date }
                type: date
              - id: bmi
                name: { ja: BMI, en: BMI }
                type: decimal
        """;

    public const string MinimisationYaml = """
        rules:
          - purpose: wellbeing
            allow:
              - category: checkup
                fields: [checkup_date, bmi]
              - category: profile
                fields: [age_band]
          - purpose: shop-offers
            allow:
              - category: profile
                fields: [district, age_band]
        """;

    public const string RecipientCriteriaYaml = """
        criteria:
          - id: privacy-certification
            text:
              ja: プライバシーマークの認証を受けていること。
              en: Holds the PrivacyMark.
            applies_to: all
          - id: special-care-handling
            text:
              ja: 要配慮個人情報を扱う人を限っていること。
              en: Limits who handles special-care data.
            applies_to: special-care
        """;

    public TestPolicyDirectory()
    {
        Path = Directory.CreateTempSubdirectory("datatrust-policy-").FullName;
        Write(PolicySettingsFile.Name, PolicyYaml);
        Write(PurposesFile.Name, PurposesYaml);
        Write(CategoriesFile.Name, CategoriesYaml);
        Write(MinimisationFile.Name, MinimisationYaml);
        Write(RecipientCriteriaFile.Name, RecipientCriteriaYaml);
    }

    public string Path { get; }

    public string FilePath(string file) => System.IO.Path.Combine(Path, file);

    public string Text(string file) => File.ReadAllText(FilePath(file));

    public void Write(string file, string text) => File.WriteAllText(FilePath(file), text.ReplaceLineEndings("\n") + "\n");

    /// <summary>Replaces the first occurrence of <paramref name="existing"/>, which must be there.</summary>
    public void Replace(string file, string existing, string replacement)
    {
        var text = Text(file);
        var at = text.IndexOf(existing, StringComparison.Ordinal);
        at.ShouldBeGreaterThanOrEqualTo(0, $"'{existing}' is not in {file}");
        File.WriteAllText(FilePath(file), string.Concat(text.AsSpan(0, at), replacement, text.AsSpan(at + existing.Length)));
    }

    /// <summary>The 1-based line of the first line of <paramref name="file"/> containing <paramref name="marker"/>, after <paramref name="afterLine"/>.</summary>
    public long LineOf(string file, string marker, long afterLine = 0)
    {
        var lines = Text(file).Split('\n');
        for (var index = (int)afterLine; index < lines.Length; index++)
        {
            if (lines[index].Contains(marker, StringComparison.Ordinal))
            {
                return index + 1;
            }
        }

        throw new InvalidOperationException($"'{marker}' is not in {file}");
    }

    public PolicyReadResult Read() => PolicyLoader.Read(Path);

    /// <summary>The problems reported for one file and line.</summary>
    public IReadOnlyList<string> ProblemsAt(PolicyReadResult result, string file, long? line) =>
        [.. result.Errors.Where(e => e.File == FilePath(file) && e.Line == line).Select(e => e.Problem)];

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
