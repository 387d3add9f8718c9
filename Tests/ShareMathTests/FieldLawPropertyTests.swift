import PropertyBased
import ShareMath
import Testing

/// Sanity of the scalar field and group arithmetic the sharing is built on, on both curves.
@Suite("Field and group laws on both curves")
struct FieldLawPropertyTests {
    @Test("(a + b) - b == a, a - a == 0, a + 0 == a, a·(b + c) == a·b + a·c", arguments: CurveID.allCases)
    func ringLaws(curve: CurveID) async {
        await ringLaws(curve.type)
    }

    @Test("a · inverse(a) == 1", arguments: CurveID.allCases)
    func inverses(curve: CurveID) async {
        await inverses(curve.type)
    }

    @Test("the largest scalar (order - 1) behaves as -1", arguments: CurveID.allCases)
    func minusOne(curve: CurveID) {
        minusOne(curve.type)
    }

    @Test("small integers add as integers", arguments: CurveID.allCases)
    func smallIntegers(curve: CurveID) async {
        await smallIntegers(curve.type)
    }

    @Test("Lagrange coefficients for any identifier set sum to 1", arguments: CurveID.allCases)
    func lagrangeCoefficientsSumToOne(curve: CurveID) async {
        await lagrangeCoefficientsSumToOne(curve.type)
    }

    @Test("Horner evaluation equals the plain sum of a_j·x^j", arguments: CurveID.allCases)
    func polynomialEvaluation(curve: CurveID) async {
        await polynomialEvaluation(curve.type)
    }

    @Test("(a + b)·G == a·G + b·G, b·(a·G) == (a·b)·G, a·G − b·G == (a − b)·G", arguments: CurveID.allCases)
    func groupLaws(curve: CurveID) async {
        await groupLaws(curve.type)
    }

    private func ringLaws<C: Curve>(_: C.Type) async {
        await propertyCheck(
            count: 100, input: ShareMathGen.scalarWords, ShareMathGen.scalarWords, ShareMathGen.scalarWords
        ) { aWords, bWords, cWords in
            let (a, b, c) = (try C.scalar(words: aWords), try C.scalar(words: bWords), try C.scalar(words: cWords))
            let zero = C.element(0)
            #expect((a + b) - b == a)
            #expect(a + b == b + a)
            #expect((a - a).isZero)
            #expect(a + zero == a)
            #expect(zero + a == a)
            #expect(a - zero == a)
            #expect((a * zero).isZero)
            #expect(a * (b + c) == a * b + a * c)
            #expect(a * b == b * a)
            #expect(a * C.element(1) == a)
            #expect(a + b != a)  // b is nonzero
        }
    }

    private func inverses<C: Curve>(_: C.Type) async {
        await propertyCheck(count: 100, input: ShareMathGen.scalarWords) { words in
            let a = try C.scalar(words: words)
            #expect(a * C.inverse(a) == C.element(1))
            #expect(C.inverse(C.inverse(a)) == a)
        }
        // Also for the generator's full-range random scalars.
        for _ in 0..<20 {
            let a = Scalar<C>.random()
            #expect(!a.isZero)
            #expect(a * C.inverse(a) == C.element(1))
        }
    }

    private func minusOne<C: Curve>(_: C.Type) {
        let one = C.element(1)
        let minusOne = C.minusOne
        #expect(!minusOne.isZero)
        #expect((minusOne + one).isZero)
        #expect(minusOne * minusOne == one)
        #expect(C.inverse(minusOne) == minusOne)
        #expect(C.inverse(one) == one)
        #expect(C.inverse(C.element(2)) * C.element(2) == one)
    }

    private func smallIntegers<C: Curve>(_: C.Type) async {
        await propertyCheck(
            count: 100, input: Gen.uint64(in: 0...(UInt64.max / 2)), Gen.uint64(in: 0...(UInt64.max / 2))
        ) {
            x, y in
            #expect(C.element(x) + C.element(y) == C.element(x + y))
            #expect(C.element(x).isZero == (x == 0))
            if x >= y { #expect(C.element(x) - C.element(y) == C.element(x - y)) }
            let (high, low) = x.multipliedFullWidth(by: 3)
            if high == 0 { #expect(C.element(x) * C.element(3) == C.element(low)) }
        }
    }

    private func lagrangeCoefficientsSumToOne<C: Curve>(_: C.Type) async {
        await propertyCheck(count: 60, input: ShareMathGen.identifiers(counts: 1...7)) { values in
            let identifiers = values.map { C.element($0) }
            let coefficients = Lagrange<C>.coefficients(for: identifiers)
            #expect(coefficients.count == identifiers.count)
            #expect(coefficients.dropFirst().reduce(coefficients[0], +) == C.element(1))
            for (identifier, coefficient) in zip(identifiers, coefficients) {
                #expect(Lagrange<C>.coefficient(for: identifier, among: identifiers) == coefficient)
            }
        }
    }

    private func polynomialEvaluation<C: Curve>(_: C.Type) async {
        await propertyCheck(
            count: 60, input: ShareMathGen.scalarWords.array(of: 1...6), ShareMathGen.scalarWords
        ) { coefficientWords, xWords in
            let coefficients = try coefficientWords.map { words throws(ShareMathError) in try C.scalar(words: words) }
            let x = try C.scalar(words: xWords)
            let polynomial = Polynomial<C>(coefficients: coefficients)
            var power = C.element(1)
            var sum = C.element(0)
            for coefficient in coefficients {
                sum = sum + coefficient * power
                power = power * x
            }
            #expect(polynomial.evaluate(at: x) == sum)
            #expect(polynomial.evaluate(at: C.element(0)) == coefficients[0])
            #expect(polynomial.degree == coefficients.count - 1)
        }
    }

    private func groupLaws<C: Curve>(_: C.Type) async {
        await propertyCheck(count: 40, input: ShareMathGen.scalarWords, ShareMathGen.scalarWords) { aWords, bWords in
            let (a, b) = (try C.scalar(words: aWords), try C.scalar(words: bWords))
            let (aG, bG) = (C.baseMultiply(a), C.baseMultiply(b))
            #expect(C.baseMultiply(a + b) == aG + bG)
            #expect(aG * b == C.baseMultiply(a * b))
            #expect(aG + C.identity == aG)
            #expect((aG + C.baseMultiply(C.minusOne * a)).isIdentity)
            #expect(C.sum([aG, bG, aG]) == C.baseMultiply(a + b + a))
            #expect(aG - bG == C.baseMultiply(a - b))
            #expect((aG - aG).isIdentity && aG - C.identity == aG && (C.identity - aG) + aG == C.identity)
            #expect(!aG.isIdentity)
            #expect(aG != bG || a == b)
        }
    }
}
