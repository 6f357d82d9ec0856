//! `sort.Sort` order checks; every expectation was recorded from Go 1.19 sorting the
//! same input by byte length.

use super::sort_by;

#[track_caller]
fn check(input: &str, want: &str) {
    let mut v: Vec<&str> = input.split(',').collect();
    sort_by(&mut v, |a, b| a.len() < b.len());
    assert_eq!(v.join(","), want, "{} elements", v.len());
}

#[test]
fn small_inputs_are_insertion_sorted() {
    check("ccc,a,bb,dd,e", "a,e,bb,dd,ccc");
    check("b,a", "b,a");
    let mut empty: Vec<&str> = Vec::new();
    sort_by(&mut empty, |a, b| a.len() < b.len());
    assert!(empty.is_empty());
}

#[test]
fn large_inputs_order_ties_like_go() {
    let cases = [
        ("aA0,aaB0,C0,D0,aaE0,F0,G0,H0,I0,J0,aaK0,L0,aaM0", "G0,C0,D0,F0,H0,I0,J0,L0,aA0,aaB0,aaE0,aaK0,aaM0"),
        ("aA0,B0,aaC0,D0,aaE0,aaF0,aG0,H0,aI0,aaJ0,aK0,aL0,aaM0,N0,aaO0,P0,aQ0,aaR0,aS0,T0", "H0,B0,T0,D0,P0,N0,aK0,aQ0,aI0,aS0,aA0,aL0,aG0,aaF0,aaO0,aaE0,aaM0,aaR0,aaJ0,aaC0"),
        ("aaA0,aaB0,aC0,aD0,aaE0,aaF0,aG0,aaH0,I0,aaJ0,aaK0,L0,M0,N0,aaO0,aP0,Q0,aaR0,aS0,T0,aU0,V0,aaW0,X0,aaY0,aZ0,aaA1,aB1,C1,aaD1,aE1,F1,aG1,aaH1,I1,aaJ1,aK1,aL1,aM1,N1,aaO1,P1,Q1,aaR1,aaS1,aaT1,aU1,aaV1,aW1,aaX1", "Q0,Q1,P1,N1,I1,F1,C1,X0,I0,V0,T0,L0,M0,N0,aZ0,aE1,aW1,aU1,aS0,aC0,aU0,aD0,aM1,aP0,aL1,aK1,aG1,aB1,aG0,aaH0,aaO1,aaF0,aaA1,aaH1,aaE0,aaJ1,aaA0,aaY0,aaW0,aaJ0,aaD1,aaK0,aaB0,aaR1,aaS1,aaT1,aaR0,aaV1,aaO0,aaX1"),
        ("aaA0,aB0,C0,aD0,E0,aF0,aG0,aaH0,aaI0,J0,K0,aL0,M0,aaN0,O0,P0,Q0,R0,S0,aaT0,aaU0,V0,aW0,X0,Y0,aZ0,A1,aaB1,aaC1,aaD1,aE1,F1,G1,H1,aI1,aJ1,K1,aaL1,aM1,aN1,O1,P1,aaQ1,aR1,aS1,T1,aaU1,aV1,aW1,aaX1,aaY1,aZ1,aA2,B2,aaC2,aaD2,aaE2,aaF2,aaG2,aaH2,aI2,J2,aaK2,L2", "G1,M0,J0,K0,L2,F1,B2,T1,P1,O1,C0,K1,H1,E0,O0,P0,Q0,R0,S0,J2,A1,V0,Y0,X0,aW0,aZ0,aR1,aB0,aG0,aE1,aS1,aI2,aD0,aF0,aI1,aJ1,aA2,aZ1,aM1,aN1,aL0,aW1,aV1,aaT0,aaC2,aaC1,aaU1,aaQ1,aaA0,aaX1,aaY1,aaL1,aaH0,aaI0,aaU0,aaD2,aaE2,aaF2,aaG2,aaN0,aaH2,aaD1,aaK2,aaB1"),
        ("aA0,aB0,aaC0,aD0,E0,aaF0,aaG0,H0,aaI0,aJ0,aaK0,aaL0,aM0,aN0,aaO0,P0,Q0,aaR0,S0,T0,aaU0,aaV0,aW0,aaX0,aaY0,aZ0,aA1,aaB1,aaC1,aD1,aaE1,aF1,G1,aH1,aI1,aaJ1,aaK1,aaL1,M1,aaN1,O1,P1,Q1,aaR1,aaS1,aaT1,aaU1,aaV1,aW1,aaX1,aY1,Z1,aaA2,B2,aaC2,aD2,aaE2,aaF2,G2,aaH2,I2,aaJ2,aK2,aaL2,M2,aN2,aaO2,aaP2,aQ2,aaR2,aaS2,T2,aaU2,aV2,aaW2,aX2,Y2,Z2,A3,B3,aaC3,D3,aE3,aF3,aaG3,aaH3,aaI3,aaJ3,aaK3,L3,aM3,N3,O3,aaP3,Q3,aR3,aaS3,aaT3,aU3,aV3,W3,aaX3,Y3,aaZ3,aA4,aB4,aC4,aaD4,aE4,aaF4,G4,H4,aI4,aJ4,aaK4,aL4,M4,N4,O4,aP4,aaQ4,R4,aS4,aT4,aU4,aaV4,aW4,X4,aY4,aZ4", "M1,X4,R4,O4,E0,N4,M4,H0,H4,G4,Y3,W3,Q3,O3,N3,P0,Q0,L3,S0,T0,D3,B3,A3,Z2,Y2,T2,M2,I2,G2,B2,Z1,Q1,G1,P1,O1,aN2,aB4,aZ4,aY4,aB0,aI1,aH1,aF1,aW4,aU4,aT4,aS4,aP4,aW1,aD0,aY1,aL4,aJ4,aD1,aI4,aD2,aJ0,aE4,aC4,aA4,aV3,aU3,aK2,aR3,aA1,aA0,aM0,aN0,aQ2,aM3,aF3,aZ0,aE3,aV2,aW0,aX2,aaK0,aaV4,aaY0,aaV0,aaC3,aaU0,aaU2,aaS2,aaG3,aaH3,aaI3,aaJ3,aaK3,aaR0,aaR2,aaO0,aaP2,aaP3,aaO2,aaL2,aaS3,aaT3,aaJ2,aaB1,aaL0,aaX3,aaW2,aaX0,aaQ4,aaK1,aaC1,aaD4,aaF2,aaF4,aaE2,aaI0,aaC2,aaA2,aaK4,aaE1,aaG0,aaF0,aaX1,aaV1,aaH2,aaC0,aaU1,aaT1,aaS1,aaZ3,aaR1,aaN1,aaJ1,aaL1"),
        ("aaA0,aaC0,aaG0,aaH0,aaK0,aaQ0,aaX0,aaY0,aaG1,aaI1,aaO1,aaP1,aaS1,aaU1,aaV1,aaX1,aaY1,aaA2,aaD2,aaP2,aaR2,aaS2,aaU2,aaW2,aaF3,aaJ3,aaK3,aaL3,aaM3,aaN3,aaQ3,aaV3,aaW3,aaX3,aaG4,aaH4,aaN4,aaQ4,aaT4,aaU4,aaX4,aaY4,aaZ4,aB0,aI0,aL0,aM0,aN0,aO0,aP0,aR0,aS0,aW0,aZ0,aB1,aC1,aF1,aJ1,aM1,aN1,aR1,aT1,aZ1,aC2,aE2,aG2,aK2,aL2,aM2,aN2,aO2,aT2,aV2,aY2,aA3,aB3,aG3,aH3,aO3,aS3,aT3,aY3,aZ3,aC4,aD4,aE4,aF4,aI4,aJ4,aK4,aP4,aR4,aS4,aW4,D0,E0,F0,J0,T0,U0,V0,A1,D1,E1,H1,K1,L1,Q1,W1,B2,F2,H2,I2,J2,Q2,X2,Z2,C3,D3,E3,I3,P3,R3,U3,A4,B4,L4,M4,O4,V4", "D0,V4,O4,M4,L4,B4,A4,U3,R3,P3,I3,E3,D3,C3,Z2,X2,Q2,J2,I2,H2,F2,B2,W1,Q1,L1,K1,H1,E1,D1,A1,V0,U0,T0,J0,F0,E0,aE2,aC4,aW4,aS4,aR4,aP4,aK4,aB0,aI0,aL0,aM0,aN0,aO0,aP0,aR0,aS0,aW0,aZ0,aB1,aC1,aF1,aJ1,aM1,aN1,aR1,aT1,aZ1,aC2,aJ4,aG2,aK2,aL2,aM2,aN2,aO2,aT2,aV2,aY2,aA3,aB3,aG3,aH3,aO3,aS3,aT3,aY3,aZ3,aI4,aD4,aE4,aF4,aaW2,aaY4,aaZ4,aaU2,aaX4,aaU4,aaT4,aaN4,aaH4,aaG4,aaX3,aaW3,aaV3,aaQ3,aaN3,aaS2,aaL3,aaK3,aaJ3,aaF3,aaG0,aaA0,aaM3,aaR2,aaP2,aaD2,aaA2,aaY1,aaX1,aaV1,aaU1,aaS1,aaP1,aaO1,aaI1,aaG1,aaY0,aaX0,aaQ0,aaK0,aaH0,aaQ4,aaC0"),
    ];
    for (input, want) in cases {
        check(input, want);
    }
}
