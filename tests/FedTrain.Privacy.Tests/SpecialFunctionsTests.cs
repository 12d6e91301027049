namespace FedTrain.Privacy.Tests;

// Reference values: mpmath 1.2.1 at 40 significant digits (mp.erfc, mp.log(mp.erfc), mp.log(mp.ncdf), mp.loggamma-
// equivalent mp.log(abs(mp.gamma))), rounded to 20 digits; erfc(1) and log Γ(1/2) = log √π are textbook constants.
public sealed class SpecialFunctionsTests
{
    [Theory]
    [InlineData(0.1, 0.8875370839817151016)]
    [InlineData(0.46875, 0.50738652678206200841)]
    [InlineData(0.5, 0.47950012218695346232)]
    [InlineData(1, 0.15729920705028513066)]
    [InlineData(2, 0.0046777349810472658379)]
    [InlineData(3.5, 7.4309837234141274552e-7)]
    [InlineData(4, 1.5417257900280018852e-8)]
    [InlineData(5, 1.5374597944280348502e-12)]
    [InlineData(10, 2.088487583762544757e-45)]
    [InlineData(20, 5.3958656116079009289e-176)]
    [InlineData(26, 5.6631924088561428465e-296)]
    [InlineData(-0.3, 1.3286267594591274162)]
    [InlineData(-1, 1.8427007929497148693)]
    [InlineData(-3, 1.9999779095030014146)]
    public void Erfc_is_accurate_to_1e14_relative(double x, double expected)
    {
        Approx.Relative(expected, SpecialFunctions.Erfc(x), 1e-14);
    }

    [Theory]
    [InlineData(0.2, 0.80901951990158073552)]
    [InlineData(1, 0.42758357615580700441)]
    [InlineData(4.5, 0.12248480427384141755)]
    [InlineData(30, 0.018795888861416751497)]
    [InlineData(100, 0.0056416137829894329036)]
    [InlineData(10000, 0.000056418958072680841152)]
    public void Scaled_erfc_is_accurate_where_erfc_underflows(double x, double expected)
    {
        Approx.Relative(expected, SpecialFunctions.Erfcx(x), 1e-14);
    }

    [Theory]
    [InlineData(-2, 0.69080557364658765676)]
    [InlineData(0.3, -0.3984300514400852726)]
    [InlineData(1, -1.8496055099332482486)]
    [InlineData(5, -27.200889545537434422)]
    [InlineData(27.5, -760.13721101534819463)]
    [InlineData(30, -903.97411711064387808)]
    [InlineData(100, -10005.177585122664333)]
    [InlineData(1000, -1000007.4801207219062)]
    public void Log_erfc_is_accurate_far_into_the_tail(double x, double expected)
    {
        Approx.Relative(expected, SpecialFunctions.LogErfc(x), 1e-14);
    }

    [Theory]
    [InlineData(-40, -804.60844201375378817)]
    [InlineData(-10, -53.231285150512470578)]
    [InlineData(-1, -1.8410216450092635058)]
    [InlineData(0, -0.69314718055994530942)]
    [InlineData(1, -0.17275377902344988953)]
    [InlineData(6, -9.8658764552437573169e-10)]
    [InlineData(10, -7.6198530241605260704e-24)]
    public void Log_ndtr_matches_both_tails(double x, double expected)
    {
        Approx.Relative(expected, SpecialFunctions.LogNdtr(x), 1e-13);
    }

    [Theory]
    [InlineData(0.5, 0.57236494292470008707)]
    [InlineData(1.5, -0.12078223763524522235)]
    [InlineData(3.7, 1.4280723266653881292)]
    [InlineData(10, 12.801827480081469611)]
    [InlineData(100.5, 361.43554046777762156)]
    [InlineData(1025, 6078.211884750050114)]
    [InlineData(1e6, 12815504.56914761166)]
    [InlineData(-0.5, 1.2655121234846453965)]
    [InlineData(-297.9, -1400.6126747177802267)]
    [InlineData(0.001, 6.9071788853838536617)]
    public void Log_gamma_is_accurate_to_1e14(double x, double expected)
    {
        Approx.Relative(expected, SpecialFunctions.LogGamma(x), 1e-14);
    }

    [Fact]
    public void Log_gamma_vanishes_at_one_and_two_and_has_poles_at_non_positive_integers()
    {
        Approx.Absolute(0, SpecialFunctions.LogGamma(1), 1e-15);
        Approx.Absolute(0, SpecialFunctions.LogGamma(2), 1e-15);
        Assert.Equal(double.PositiveInfinity, SpecialFunctions.LogGamma(0));
        Assert.Equal(double.PositiveInfinity, SpecialFunctions.LogGamma(-3));
    }

    [Fact]
    public void Binomials_match_exact_integers_and_generalized_signs()
    {
        Approx.Relative(Math.Log(252), SpecialFunctions.LogAbsBinomial(10, 5), 1e-14);
        Approx.Relative(Math.Log(1.0 / 1024 * 1048576), SpecialFunctions.LogAbsBinomial(20, 0) + Math.Log(1024), 1e-14);
        Assert.Equal(double.NegativeInfinity, SpecialFunctions.LogAbsBinomial(3, 5));

        // C(1.5, i) = 1, 1.5, 0.375, −0.0625, 0.0234375, …: the sign alternates from i = 3 on.
        double[] expected = [1, 1.5, 0.375, -0.0625, 0.0234375];
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(Math.Sign(expected[i]), SpecialFunctions.BinomialSign(1.5, i));
            Approx.Absolute(Math.Log(Math.Abs(expected[i])), SpecialFunctions.LogAbsBinomial(1.5, i), 1e-14);
        }

        Assert.Equal(0, SpecialFunctions.BinomialSign(3, 4));
    }

    [Fact]
    public void Log_space_sums_stay_finite_where_plain_sums_overflow()
    {
        Approx.Relative(1000 + Math.Log(2), LogMath.LogAdd(1000, 1000), 1e-15);
        Assert.Equal(5.0, LogMath.LogAdd(double.NegativeInfinity, 5.0));
        Approx.Relative(Math.Log(Math.E - 1), LogMath.LogSub(1, 0), 1e-15);
        Assert.Equal(double.NegativeInfinity, LogMath.LogSub(3, 3));
        Assert.True(double.IsNaN(LogMath.LogSub(2, 3)));
        // log1p(x) = x − x²/2 + …, expm1(x) = x + x²/2 + …: the second term is what naive forms lose.
        Approx.Relative(1e-10 - 5e-21, LogMath.Log1p(1e-10), 1e-15);
        Approx.Relative(1e-10 + 5e-21, LogMath.Expm1(1e-10), 1e-15);
        Approx.Relative(Math.Log(1.5), LogMath.Log1p(0.5), 1e-15);
        Approx.Relative(Math.Exp(0.5) - 1, LogMath.Expm1(0.5), 1e-15);
    }
}
