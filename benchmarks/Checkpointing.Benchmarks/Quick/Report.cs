using System.Globalization;

namespace Checkpointing.Benchmarks.Quick;

/// <summary>Prints the quick mode's numbers and checks each ratio against its target, counting passes and failures.</summary>
internal sealed class Report
{
    private readonly List<string> _failures = [];
    private int _passed;

    /// <summary>Gets whether every target checked so far was met.</summary>
    public bool AllPassed => _failures.Count == 0;

    /// <summary>Formats milliseconds, switching to microseconds below one.</summary>
    public static string Ms(double milliseconds) =>
        milliseconds < 1
            ? string.Create(CultureInfo.InvariantCulture, $"{milliseconds * 1000:F1} us")
            : string.Create(CultureInfo.InvariantCulture, $"{milliseconds:F2} ms");

    /// <summary>Formats a byte count in KB or MB.</summary>
    public static string Bytes(double bytes) =>
        bytes >= 1 << 20
            ? string.Create(CultureInfo.InvariantCulture, $"{bytes / (1 << 20):F1} MB")
            : string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024:F1} KB");

    /// <summary>Starts a section.</summary>
    public static void Section(string title)
    {
        Console.WriteLine();
        Console.WriteLine(title);
    }

    /// <summary>Prints a measurement.</summary>
    public static void Line(string text) => Console.WriteLine("    " + text);

    /// <summary>Checks <c>value &lt;= target</c>.</summary>
    public void AtMost(string what, double value, double target, string unit = "x") => Check(what, value, "<=", target, unit, value <= target);

    /// <summary>Checks <c>value &lt; target</c>.</summary>
    public void Below(string what, double value, double target, string unit) => Check(what, value, "<", target, unit, value < target);

    /// <summary>Checks <c>value &gt;= target</c>.</summary>
    public void AtLeast(string what, double value, double target, string unit) => Check(what, value, ">=", target, unit, value >= target);

    /// <summary>Prints how many targets were met, and which were not.</summary>
    public void PrintSummary()
    {
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Targets met: {_passed} of {_passed + _failures.Count}"));
        foreach (var failure in _failures)
        {
            Console.WriteLine("    FAIL  " + failure);
        }
    }

    private void Check(string what, double value, string comparison, double target, string unit, bool passed)
    {
        var line = string.Create(
            CultureInfo.InvariantCulture, $"{what,-58} {value,9:F2} {unit,-5} target {comparison} {target:0.##} {unit}");
        Console.WriteLine($"  {(passed ? "PASS" : "FAIL")}  {line}");
        if (passed)
        {
            _passed++;
        }
        else
        {
            _failures.Add(line);
        }
    }
}
